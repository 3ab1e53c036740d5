//! The 1.5.3 memory/executor fields and `packages` on the scripted runtime: they reach the
//! driver's Spark conf, are shown back on jobs and groups, and bad ones store nothing.
//! Real Spark reads them back in `crates/server/tests/jobs_spark.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::collections::BTreeMap;

use common::group_world::{drivers_until, world};
use common::states_until;
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::model::memory_settings::{MemorySettings, MemorySettingsForm};
use sparkdeck_engine::model::paging::PageRequest;
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, GroupForm, JobQuery, JobSubmission};

fn memory(fields: &[(&str, &str)]) -> MemorySettingsForm {
    let mut form = MemorySettingsForm::default();
    for (name, value) in fields {
        *form.field_mut(name).unwrap() = Some(value.to_string());
    }
    form
}

async fn python_job(engine: &Engine, memory: MemorySettingsForm, job_config: &str, packages: &str) -> JobSubmission {
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('hello')\n").unwrap();
    JobSubmission {
        name: Some("sized".into()),
        language: Some("PYTHON".into()),
        job_config: Some(job_config.into()),
        args: Some("a;b c".into()),
        packages: Some(packages.into()),
        memory,
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    }
}

/// The Spark conf of the driver of `app_name` that still runs.
fn conf_of(runtime: &ScriptedRuntime, app_name: &str) -> BTreeMap<String, String> {
    let running = runtime.drivers().into_iter().find(|d| d.app_name == app_name && d.ended.is_none() && !d.stopped);
    running.map(|d| d.conf).expect("launched")
}

#[tokio::test]
async fn a_jobs_memory_settings_reach_its_plan_and_are_shown_back() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let mut events = engine.subscribe();
    let fields = [("driverMemory", "1G"), ("executors", "2"), ("dynamicAllocation", "true"), ("minExecutors", "1"), ("maxExecutors", "3")];
    let form = python_job(&engine, memory(&fields), "spark.executor.memory=2g;spark.driver.memory=1g", "").await;
    let job = engine.submit_job(form).await.unwrap();
    states_until(&mut events, &job.job_id, |j| j.state == JobState::Busy).await;

    let conf = conf_of(&runtime, "sized");
    for (key, value) in [
        ("spark.driver.memory", "1g"),
        ("spark.executor.memory", "2g"),
        ("spark.executor.instances", "2"),
        ("spark.dynamicAllocation.enabled", "true"),
        ("spark.dynamicAllocation.minExecutors", "1"),
        ("spark.dynamicAllocation.maxExecutors", "3"),
        ("spark.dynamicAllocation.shuffleTracking.enabled", "true"),
    ] {
        assert_eq!(conf.get(key).map(String::as_str), Some(value), "{key} in {conf:?}");
    }

    let expected = MemorySettings {
        driver_memory: Some("1g".into()),
        executors: Some(2),
        dynamic_allocation: Some(true),
        min_executors: Some(1),
        max_executors: Some(3),
        ..MemorySettings::default()
    };
    let shown = engine.get_job(&job.job_id).await.unwrap();
    assert_eq!(shown.settings.memory_settings, expected);
    assert_eq!(shown.settings.args, ["a", "b c"]);
    assert_eq!(shown.settings.job_config.get("spark.executor.memory").map(String::as_str), Some("2g"));
    assert_eq!((shown.settings.job_class.as_deref(), shown.settings.packages.as_str()), (None, ""));
    let listed = engine.list_jobs(&JobQuery { page: PageRequest::default(), ..JobQuery::default() }).await.unwrap();
    assert_eq!(listed.content[0].settings, shown.settings, "lists show the same");
}

#[tokio::test]
async fn a_refused_job_form_stores_nothing_and_names_its_field() {
    let (dir, _runtime, engine) = world(|_| {}).await;
    // (memory fields, jobConfig, packages, the field named, a part of the message)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, &'a str, &'a str);
    let cases: [Case; 6] = [
        (&[("driverMemory", "4gb")], "", "", "driverMemory", "JVM memory size"),
        (&[("executorCores", "0")], "", "", "executorCores", "from 1 up"),
        (&[("minExecutors", "4"), ("maxExecutors", "2")], "", "", "minExecutors", "maxExecutors"),
        (&[("initialExecutors", "9"), ("maxExecutors", "2")], "", "", "initialExecutors", "outside"),
        (&[("driverMemory", "1g")], "spark.driver.memory=2g", "", "driverMemory", "jobConfig sets spark.driver.memory=2g"),
        (&[], "", "org.example:lib:1.0,broken", "packages", "'broken'"),
    ];
    for (fields, job_config, packages, field, message) in cases {
        let form = python_job(&engine, memory(fields), job_config, packages).await;
        let error = engine.submit_job(form).await.unwrap_err();
        assert_eq!(error.field(), Some(field), "{fields:?} {job_config} {packages}");
        assert!(error.to_string().contains(message), "{error}");
    }
    let listed = engine.list_jobs(&JobQuery::default()).await.unwrap();
    assert_eq!(listed.total_elements, 0, "nothing stored");
    let job_dirs = std::fs::read_dir(dir.path().join("jobs")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(job_dirs, 0, "no job directory");
}

#[tokio::test]
async fn a_groups_settings_reach_its_drivers_and_change_on_update() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let form = GroupForm {
        name: Some("sized".into()),
        kind: Some("CODE".into()),
        // No driver until the settings are final, so the one launched has them.
        scale: Some(0),
        packages: Some("org.example:lib:1.0".into()),
        memory: memory(&[("driverMemory", "2g"), ("executorCores", "2")]),
        ..GroupForm::default()
    };
    let group = engine.create_group(form).await.unwrap();
    assert_eq!(group.packages, "org.example:lib:1.0");
    assert_eq!(group.memory_settings, MemorySettings { driver_memory: Some("2g".into()), executor_cores: Some(2), ..MemorySettings::default() });

    // A bad update changes nothing.
    let refused = GroupForm { memory: memory(&[("minExecutors", "3"), ("maxExecutors", "1")]), ..GroupForm::default() };
    assert_eq!(engine.update_group(&group.id, refused).await.unwrap_err().field(), Some("minExecutors"));
    let conflict = GroupForm { job_config: Some("spark.executor.cores=4".into()), ..GroupForm::default() };
    assert_eq!(engine.update_group(&group.id, conflict).await.unwrap_err().field(), Some("executorCores"));
    let kept = engine.get_group(&group.id).await.unwrap();
    assert_eq!((kept.memory_settings, kept.job_config.is_empty()), (group.memory_settings.clone(), true));

    let update = GroupForm { packages: Some(String::new()), memory: memory(&[("driverMemory", ""), ("executors", "3")]), ..GroupForm::default() };
    let updated = engine.update_group(&group.id, update).await.unwrap();
    assert_eq!(updated.memory_settings, MemorySettings { executor_cores: Some(2), executors: Some(3), ..MemorySettings::default() });
    assert_eq!(updated.packages, "");
    assert_eq!(engine.get_group(&group.id).await.unwrap().memory_settings, updated.memory_settings, "stored");

    // Its driver is launched with the settings as updated.
    engine.rescale_group(&group.id, 1).await.unwrap();
    drivers_until(&engine, &group.id, "a driver with the new settings", |states| states == [JobState::Ready]).await;
    let conf = conf_of(&runtime, "sized driver");
    assert_eq!(conf.get("spark.executor.instances").map(String::as_str), Some("3"), "{conf:?}");
    assert_eq!(conf.get("spark.executor.cores").map(String::as_str), Some("2"));
}
