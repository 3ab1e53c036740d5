//! Languages of groups and their requests: where each language is allowed, the
//! interpreter a code request names reaching the agent, the agent's rich `data` stored
//! (bounded) with the instance, a request's progress, and the interpreters a driver is
//! started with. On the scripted runtime with a stand-in agent (`common::group_world`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use common::group_world::{
    BIG_DATA_BYTES, RUNNING_PROGRESS, code, code_in, create, drivers_until, live, sql_table, wait_for, within_20s, world,
};
use sparkdeck_engine::model::group::{GroupKind, GroupRequest, JobInstance};
use sparkdeck_engine::model::job::{JobState, Language};
use sparkdeck_engine::model::paging::PageRequest;
use sparkdeck_engine::testing::ScriptedRuntime;
use sparkdeck_engine::{Engine, EngineConfig, EngineError, GroupForm, JobQuery, JobSubmission, ScheduleForm};

fn code_group(name: &str, language: Option<&str>, job_config: Option<&str>) -> GroupForm {
    GroupForm {
        name: Some(name.into()),
        kind: Some("CODE".into()),
        language: language.map(Into::into),
        job_config: job_config.map(Into::into),
        scale: Some(1),
        ..GroupForm::default()
    }
}

fn field_of(error: EngineError) -> String {
    error.field().map(str::to_string).unwrap_or_else(|| format!("no field: {error}"))
}

async fn ready(engine: &Engine, id: &str) {
    drivers_until(engine, id, "a READY driver", |s| s == [JobState::Ready]).await;
}

#[tokio::test]
async fn code_groups_default_to_scala_and_take_python_and_sql_job_groups_refuse_sql() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let default = engine.create_group(code_group("cells", None, None)).await.unwrap();
    assert_eq!((default.kind, default.language), (GroupKind::Code, Language::Scala), "the platform's documented default");
    let others = [("py", "python", Language::Python), ("sql", "SQL", Language::Sql), ("sc", "SCALA", Language::Scala)];
    for (name, language, expected) in others {
        let group = engine.create_group(code_group(name, Some(language), None)).await.unwrap();
        assert_eq!(group.language, expected, "{language}");
    }
    let jobs = GroupForm { name: Some("jobs".into()), language: Some("SQL".into()), scale: Some(0), ..GroupForm::default() };
    let refused = engine.create_group(jobs).await.unwrap_err();
    assert_eq!(field_of(refused), "language");
    let unknown = engine.create_group(code_group("r", Some("R"), None)).await.unwrap_err();
    assert_eq!(field_of(unknown), "language");
    let names: Vec<String> = engine.list_groups(&Default::default()).await.unwrap().content.into_iter().map(|g| g.name).collect();
    assert_eq!(names.len(), 4, "nothing stored for a refused form: {names:?}");
}

#[tokio::test]
async fn single_jobs_and_schedules_refuse_sql_naming_language() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let sql_job = |name: &str| {
        let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
        script.write(b"print(1)\n").unwrap();
        let py_files = vec![script.finish().unwrap()];
        JobSubmission { name: Some(name.into()), language: Some("SQL".into()), py_files, ..JobSubmission::default() }
    };
    assert_eq!(field_of(engine.submit_job(sql_job("job")).await.unwrap_err()), "language");
    let schedule = ScheduleForm { job: sql_job("nightly"), cron: Some("0 3 * * *".into()), ..ScheduleForm::default() };
    assert_eq!(field_of(engine.create_schedule(schedule).await.unwrap_err()), "language");
    assert_eq!(engine.list_jobs(&JobQuery::default()).await.unwrap().total_elements, 0);
    assert!(runtime.drivers().is_empty(), "nothing launched");
    // Nor can a new job's form start as SQL.
    let mut settings = engine.settings();
    settings.job_defaults.language = Language::Sql;
    assert_eq!(field_of(engine.update_settings(settings).await.unwrap_err()), "jobDefaults.language");
    assert_eq!(engine.settings().job_defaults.language, Language::Python, "nothing saved");
}

#[tokio::test]
async fn a_code_request_runs_in_the_language_it_names_else_the_groups() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let group = engine.create_group(code_group("mixed", Some("SQL"), None)).await.unwrap();
    ready(&engine, &group.id).await;
    let own = engine.execute_instance(&group.id, code("language?")).await.unwrap();
    assert_eq!((own.result.as_deref(), own.language), (Some("SQL"), Some(Language::Sql)), "the group's language");
    let scala = engine.execute_instance(&group.id, code_in(Language::Scala, "language?")).await.unwrap();
    assert_eq!((scala.result.as_deref(), scala.language), (Some("SCALA"), Some(Language::Scala)));
    let complete = GroupRequest::InteractiveCodeComplete { code: "language?".into(), cursor: None, language: Some(Language::Python) };
    let completed = engine.execute_instance(&group.id, complete).await.unwrap();
    assert_eq!((completed.result.as_deref(), completed.language), (Some("PYTHON"), Some(Language::Python)), "completion too");
}

#[tokio::test]
async fn a_job_groups_requests_carry_no_language_of_their_own() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let form = GroupForm { name: Some("jobs".into()), language: Some("PYTHON".into()), scale: Some(1), ..GroupForm::default() };
    let group = engine.create_group(form).await.unwrap();
    ready(&engine, &group.id).await;
    let run = GroupRequest::InteractiveJobExecute { job_class: "jobs.Echo".into(), job_config: Default::default() };
    let done = engine.execute_instance(&group.id, run).await.unwrap();
    assert_eq!((done.state, done.language), (JobState::Finished, None), "{done:?}");
}

#[tokio::test]
async fn the_agents_data_is_stored_returned_and_kept_across_a_restart() {
    let (dir, runtime, engine) = world(|_| {}).await;
    let group = engine.create_group(code_group("tables", Some("SQL"), None)).await.unwrap();
    ready(&engine, &group.id).await;
    let done = engine.execute_instance(&group.id, code("table")).await.unwrap();
    let expected = sql_table().as_object().cloned();
    assert_eq!(done.state, JobState::Finished);
    assert_eq!(done.data, expected, "as the agent sent it");
    assert_eq!(done.result.as_deref(), sql_table()["text/plain"].as_str(), "result stays the plain text");
    let plain = engine.execute_instance(&group.id, code("1 + 1")).await.unwrap();
    assert_eq!(plain.data, None, "no bundle, no data");

    engine.shutdown();
    drop(engine);
    let engine = reopen(dir.path(), &runtime).await;
    let kept = engine.get_instance(&group.id, &done.job_instance_id).await.unwrap();
    assert_eq!((kept.data, kept.language), (expected, Some(Language::Sql)));
    let listed = engine.list_instances(&group.id, None, &PageRequest::default()).await.unwrap().content;
    let listed: Vec<&JobInstance> = listed.iter().filter(|i| i.job_instance_id == done.job_instance_id).collect();
    assert_eq!(listed[0].data, sql_table().as_object().cloned(), "in lists too");
}

async fn reopen(dir: &std::path::Path, runtime: &ScriptedRuntime) -> Engine {
    // The previous engine lets go of the directory once its background tasks notice.
    loop {
        match Engine::open_with_runtime(EngineConfig::new(Some(dir.to_path_buf())), runtime.clone()).await {
            Ok(engine) => return engine,
            Err(EngineError::DataDirLocked { .. }) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test]
async fn a_bundle_over_the_bound_is_dropped_saying_so_and_the_result_kept() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 1).await;
    ready(&engine, &group.id).await;
    let done = engine.execute_instance(&group.id, code("big-data")).await.unwrap();
    assert_eq!((done.state, done.result.as_deref()), (JobState::Finished, Some("big")), "the request itself succeeds");
    let data = done.data.expect("a note in its place");
    assert_eq!(data.keys().collect::<Vec<_>>(), ["text/plain"]);
    let note = data["text/plain"].as_str().unwrap_or_default();
    assert!(note.contains("dropped") && note.contains("4 MiB"), "{note}");
    assert!(note.len() < BIG_DATA_BYTES / 1000, "the note, not the bundle");
    let next = engine.execute_instance(&group.id, code("after")).await.unwrap();
    assert_eq!(next.state, JobState::Finished, "the driver serves on");
}

#[tokio::test]
async fn progress_is_0_while_queued_the_drivers_while_running_and_1_once_ended() {
    let (_dir, _runtime, engine) = world(|_| {}).await;
    let group = create(&engine, 1).await;
    ready(&engine, &group.id).await;
    let running = engine.submit_instance(&group.id, code("until-cancel")).await.unwrap();
    drivers_until(&engine, &group.id, "the driver BUSY", |s| s == [JobState::Busy]).await;
    let queued = engine.submit_instance(&group.id, code("after")).await.unwrap();
    assert_eq!(engine.get_instance(&group.id, &queued.job_instance_id).await.unwrap().state, JobState::Submitted);
    assert_eq!(engine.instance_progress(&queued.job_instance_id).await.unwrap(), 0.0);
    let state = engine.get_instance(&group.id, &running.job_instance_id).await.unwrap().state;
    assert_eq!(state, JobState::Busy);
    assert_eq!(engine.instance_progress(&running.job_instance_id).await.unwrap(), RUNNING_PROGRESS, "the agent's /health");
    engine.cancel_instance(&group.id, &running.job_instance_id).await.unwrap();
    let ended = within_20s("the queued request to end", async {
        loop {
            let i = engine.get_instance(&group.id, &queued.job_instance_id).await.unwrap();
            if i.state.is_terminal() {
                return i;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(ended.state, JobState::Finished);
    for id in [&running.job_instance_id, &queued.job_instance_id] {
        assert_eq!(engine.instance_progress(id).await.unwrap(), 1.0, "ended");
    }
    assert!(matches!(engine.instance_progress("nope").await, Err(EngineError::NotFound { .. })));
}

fn interpreters_env(runtime: &ScriptedRuntime, group_name: &str) -> Option<String> {
    let driver = runtime.drivers().into_iter().find(|d| d.app_name == format!("{group_name} driver"))?;
    assert!(!driver.conf.contains_key("sparkdeck.interpreters"), "ours, not a Spark setting: {:?}", driver.conf);
    driver.env.iter().find(|(k, _)| k == "SPARKDECK_DRIVER_INTERPRETERS").map(|(_, v)| v.clone())
}

#[tokio::test]
async fn drivers_warm_up_their_groups_language_sql_python_and_the_interpreters_jobconfig_names() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    // (group, kind, language, jobConfig, the interpreters its driver is started with)
    let cases = [
        ("scala", "CODE", None, None, "SCALA,SQL,PYTHON"),
        ("python", "CODE", Some("PYTHON"), None, "PYTHON,SQL"),
        ("sql", "CODE", Some("SQL"), None, "SQL,PYTHON"),
        ("all", "CODE", Some("PYTHON"), Some("sparkdeck.interpreters=PYTHON,SCALA,SQL"), "PYTHON,SQL,SCALA"),
        // A JOB group's SCALA is its classes' (JVM) language, not the Scala interpreter.
        ("jobs", "JOB", None, None, "SQL,PYTHON"),
        ("jobs-and-scala", "JOB", Some("PYTHON"), Some("sparkdeck.interpreters=scala"), "SQL,PYTHON,SCALA"),
    ];
    for (name, kind, language, job_config, _) in cases {
        let form = GroupForm { kind: Some(kind.into()), ..code_group(name, language, job_config) };
        engine.create_group(form).await.unwrap();
    }
    wait_for("every driver launched", || live(&runtime).len() == cases.len()).await;
    for (name, .., expected) in cases {
        assert_eq!(interpreters_env(&runtime, name).as_deref(), Some(expected), "{name}");
    }
}

#[tokio::test]
async fn a_bad_interpreter_in_jobconfig_is_refused_naming_jobconfig_on_create_and_update() {
    let (_dir, runtime, engine) = world(|_| {}).await;
    let refused = engine.create_group(code_group("bad", Some("PYTHON"), Some("sparkdeck.interpreters=SCALA,R"))).await.unwrap_err();
    assert_eq!(field_of(refused), "jobConfig");
    let group = engine.create_group(code_group("good", Some("PYTHON"), None)).await.unwrap();
    let update = GroupForm { job_config: Some("sparkdeck.interpreters=JULIA".into()), ..GroupForm::default() };
    let refused = engine.update_group(&group.id, update).await.unwrap_err();
    assert_eq!(field_of(refused), "jobConfig");
    assert!(engine.get_group(&group.id).await.unwrap().job_config.is_empty(), "nothing changed");
    let update = GroupForm { job_config: Some("sparkdeck.interpreters=SCALA".into()), scale: Some(2), ..GroupForm::default() };
    engine.update_group(&group.id, update).await.unwrap();
    wait_for("a second driver", || runtime.drivers().len() == 2).await;
    let second = &runtime.drivers()[1];
    let env = second.env.iter().find(|(k, _)| k == "SPARKDECK_DRIVER_INTERPRETERS").map(|(_, v)| v.as_str());
    assert_eq!(env, Some("PYTHON,SQL,SCALA"), "drivers started after the change warm Scala too");
}
