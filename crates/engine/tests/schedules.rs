//! Schedules and retries on the scripted runtime with a hand-moved clock: due runs,
//! overlap policies, catch-up after a reopen and after a clock jump, no double run across
//! a reopen, run now, pause/resume/stop, bad input, and the retry chain. Nothing here
//! waits for a cron: the clock is moved, and each check waits for the engine's
//! announcement of what it committed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::states_until;
use sparkdeck_engine::clock::ManualClock;
use sparkdeck_engine::model::job::{Job, JobState};
use sparkdeck_engine::model::schedule::{Schedule, ScheduleState};
use sparkdeck_engine::testing::{ScriptedExit, ScriptedRuntime};
use sparkdeck_engine::{Engine, EngineConfig, EngineError, EngineEvent, JobQuery, JobSubmission, ScheduleForm, ScheduleQuery};
use tokio::sync::broadcast::Receiver;

/// 2026-01-01T00:00:30Z: half a minute before an every-minute cron is due.
const T0: i64 = 1_767_225_630_000;
const MINUTE: Duration = Duration::from_secs(60);

async fn open(dir: &Path, runtime: &ScriptedRuntime, clock: &Arc<ManualClock>, backoff: Duration) -> Engine {
    loop {
        let mut config = EngineConfig::new(Some(dir.to_path_buf()));
        config.clock = clock.clone();
        config.retry_backoff = backoff;
        config.local_concurrency = 32;
        match Engine::open_with_runtime(config, runtime.clone()).await {
            Ok(engine) => return engine,
            Err(EngineError::DataDirLocked { .. }) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e}"),
        }
    }
}

fn python_job(engine: &Engine, name: &str) -> JobSubmission {
    let mut script = engine.begin_upload("pyFiles", "main.py").unwrap();
    script.write(b"print('hello')\n").unwrap();
    JobSubmission {
        name: Some(name.into()),
        language: Some("PYTHON".into()),
        py_files: vec![script.finish().unwrap()],
        ..JobSubmission::default()
    }
}

fn every_minute(engine: &Engine, name: &str) -> ScheduleForm {
    ScheduleForm {
        job: python_job(engine, name),
        cron: Some("* * * * *".into()),
        time_zone: Some("UTC".into()),
        ..ScheduleForm::default()
    }
}

/// Waits until the schedule has this `lastDueTime` (the ticker looked): read first, then
/// again on each announcement of it, as another helper may have taken the one that said so.
async fn looked(engine: &Engine, events: &mut Receiver<EngineEvent>, id: &str, last_due: i64) -> Schedule {
    looked_until(engine, events, id, |s| s.last_due_time == last_due).await
}

/// Waits until the stored schedule satisfies `done`.
async fn looked_until(engine: &Engine, events: &mut Receiver<EngineEvent>, id: &str, done: impl Fn(&Schedule) -> bool) -> Schedule {
    let wait = async {
        loop {
            let stored = engine.get_schedule(id).await.unwrap();
            if done(&stored) {
                return stored;
            }
            loop {
                match events.recv().await {
                    Ok(EngineEvent::ScheduleChanged { schedule }) if schedule.id == id => break,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Ok(_) => {}
                    Err(e) => panic!("event bus closed: {e}"),
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait).await.expect("the ticker never looked")
}

async fn runs(engine: &Engine, id: &str) -> Vec<Job> {
    engine.get_schedule(id).await.unwrap().jobs
}

/// The scripted driver of a job (launched for its directory).
fn driver_of(runtime: &ScriptedRuntime, job: &Job) -> String {
    let found = runtime.drivers().into_iter().find(|d| d.job_dir.ends_with(&job.job_id));
    found.map(|d| d.id).unwrap_or_else(|| panic!("{} was not launched", job.job_id))
}

async fn busy(engine: &Engine, events: &mut Receiver<EngineEvent>, job: &Job) -> Job {
    if engine.get_job(&job.job_id).await.unwrap().state == JobState::Busy {
        return job.clone();
    }
    states_until(events, &job.job_id, |j| j.state == JobState::Busy).await.1
}

/// The job once ended (read first: its announcement may have gone by already).
async fn ended(engine: &Engine, events: &mut Receiver<EngineEvent>, job: &Job) -> Job {
    let stored = engine.get_job(&job.job_id).await.unwrap();
    if stored.state.is_terminal() {
        return stored;
    }
    states_until(events, &job.job_id, |j| j.state.is_terminal()).await.1
}

#[tokio::test]
async fn each_due_time_is_a_run_with_its_schedule_id() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    let schedule = engine.create_schedule(every_minute(&engine, "nightly")).await.unwrap();
    assert_eq!(schedule.state, ScheduleState::Enabled);
    let due = T0 + 30_000;
    assert_eq!(schedule.next_run_times, (0..5).map(|i| due + i * 60_000).collect::<Vec<_>>());
    assert!(schedule.jobs.is_empty(), "nothing runs before its time");

    clock.advance(Duration::from_secs(30));
    let seen = looked(&engine, &mut events, &schedule.id, due).await;
    let [first] = &seen.jobs[..] else { panic!("one run: {:?}", seen.jobs) };
    assert_eq!((first.schedule_id.as_deref(), first.attempt, first.job_name.as_str()), (Some(schedule.id.as_str()), 1, "nightly"));
    let first = busy(&engine, &mut events, first).await;
    assert!(runtime.end(&driver_of(&runtime, &first), ScriptedExit::Code(0)));
    ended(&engine, &mut events, &first).await;

    clock.advance(MINUTE);
    let seen = looked(&engine, &mut events, &schedule.id, due + 60_000).await;
    assert_eq!(seen.jobs.len(), 2, "newest first: {:?}", seen.jobs);
    assert_eq!(seen.jobs[1].job_id, first.job_id);
    assert_eq!(seen.next_run_times[0], due + 120_000);
}

#[tokio::test]
async fn overlap_policies_decide_about_a_due_time_while_the_previous_run_is_active() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    let mut ids = Vec::new();
    for policy in ["SKIP", "QUEUE", "REPLACE", "ALLOW"] {
        let form = ScheduleForm { overlap_policy: Some(policy.into()), ..every_minute(&engine, policy) };
        ids.push(engine.create_schedule(form).await.unwrap().id);
    }
    let first_due = T0 + 30_000;
    clock.advance(Duration::from_secs(30));
    let mut firsts = Vec::new();
    for id in &ids {
        let seen = looked(&engine, &mut events, id, first_due).await;
        firsts.push(busy(&engine, &mut events, &seen.jobs[0]).await);
    }
    clock.advance(MINUTE);
    let second_due = first_due + 60_000;
    let [skip, queue, replace, allow] = &ids[..] else { unreachable!() };

    let seen = looked(&engine, &mut events, skip, second_due).await;
    assert_eq!(seen.jobs.len(), 1, "SKIP: no run while the previous one runs");

    let seen = looked(&engine, &mut events, queue, second_due).await;
    assert_eq!((seen.jobs.len(), seen.queued_due_time), (1, second_due), "QUEUE: kept until the previous ends");

    let seen = looked(&engine, &mut events, replace, second_due).await;
    assert_eq!(seen.jobs.len(), 2, "REPLACE: a new run");
    let stopped = ended(&engine, &mut events, &firsts[2]).await;
    assert_eq!(stopped.state, JobState::Canceled, "REPLACE: the previous run is stopped");

    let seen = looked(&engine, &mut events, allow, second_due).await;
    assert_eq!(seen.jobs.len(), 2, "ALLOW: both");
    assert_eq!(engine.get_job(&firsts[3].job_id).await.unwrap().state, JobState::Busy, "ALLOW: the previous run goes on");

    // The queued time starts once the previous run ends.
    assert!(runtime.end(&driver_of(&runtime, &firsts[1]), ScriptedExit::Code(0)));
    let seen = looked_until(&engine, &mut events, queue, |s| s.last_due_time == second_due && s.jobs.len() == 2).await;
    assert_eq!((seen.jobs.len(), seen.queued_due_time), (2, 0));
}

/// Three schedules, one per catch-up policy, created at T0; five due times missed.
async fn missed_five(engine: &Engine) -> [String; 3] {
    let mut ids = Vec::new();
    for policy in ["LATEST", "NONE", "ALL"] {
        let form = ScheduleForm { catch_up: Some(policy.into()), ..every_minute(engine, policy) };
        ids.push(engine.create_schedule(form).await.unwrap().id);
    }
    ids.try_into().unwrap()
}

const FIFTH_DUE: i64 = T0 + 30_000 + 4 * 60_000;

async fn check_caught_up(engine: &Engine, events: &mut Receiver<EngineEvent>, [latest, none, all]: &[String; 3]) {
    let seen = looked(engine, events, latest, FIFTH_DUE).await;
    assert_eq!(seen.jobs.len(), 1, "LATEST: one run for all that were missed");
    let seen = looked(engine, events, none, FIFTH_DUE).await;
    assert_eq!(seen.jobs.len(), 0, "NONE: the missed times are skipped");
    let seen = looked(engine, events, all, FIFTH_DUE).await;
    assert_eq!(seen.jobs.len(), 5, "ALL: each missed time");
}

#[tokio::test]
async fn missed_times_are_caught_up_by_policy_when_the_engine_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let ids = {
        let clock = Arc::new(ManualClock::new(T0));
        let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
        let ids = missed_five(&engine).await;
        engine.shutdown();
        ids
    };
    // Closed for five due times (and ten seconds more).
    let clock = Arc::new(ManualClock::new(FIFTH_DUE + 10_000));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    // The first look may have happened before the subscription: read the stored state.
    for id in &ids {
        if engine.get_schedule(id).await.unwrap().last_due_time != FIFTH_DUE {
            looked(&engine, &mut events, id, FIFTH_DUE).await;
        }
    }
    let mut counts = Vec::new();
    for id in &ids {
        counts.push(runs(&engine, id).await.len());
    }
    assert_eq!(counts, [1, 0, 5], "LATEST, NONE, ALL");
}

#[tokio::test]
async fn missed_times_are_caught_up_by_policy_after_the_clock_jumps() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    let ids = missed_five(&engine).await;
    // The machine slept: the wall clock moves, the monotonic one does not.
    clock.jump(Duration::from_millis(u64::try_from(FIFTH_DUE + 10_000 - T0).unwrap()));
    check_caught_up(&engine, &mut events, &ids).await;
}

#[tokio::test]
async fn a_due_time_runs_once_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let clock = Arc::new(ManualClock::new(T0));
    let id = {
        let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
        let mut events = engine.subscribe();
        let form = ScheduleForm { overlap_policy: Some("ALLOW".into()), ..every_minute(&engine, "once") };
        let id = engine.create_schedule(form).await.unwrap().id;
        clock.advance(Duration::from_secs(30));
        looked(&engine, &mut events, &id, T0 + 30_000).await;
        engine.shutdown();
        id
    };
    // Opened again at the same instant: the due time is accounted for.
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    clock.advance(MINUTE);
    let seen = looked(&engine, &mut events, &id, T0 + 90_000).await;
    assert_eq!(seen.jobs.len(), 2, "one run per due time, none again after the reopen: {:?}", seen.jobs);
}

#[tokio::test]
async fn run_now_pause_resume_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    let form = ScheduleForm { overlap_policy: Some("ALLOW".into()), ..every_minute(&engine, "manual") };
    let id = engine.create_schedule(form).await.unwrap().id;

    let now = engine.run_schedule_now(&id).await.unwrap();
    assert_eq!((now.schedule_id.as_deref(), now.attempt), (Some(id.as_str()), 1));
    busy(&engine, &mut events, &now).await;

    let paused = engine.pause_schedule(&id).await.unwrap();
    assert_eq!((paused.state, paused.next_run_times.len()), (ScheduleState::Paused, 0));
    clock.advance(MINUTE); // 00:01:30: the 00:01 time passes while paused
    let resumed = engine.resume_schedule(&id).await.unwrap();
    assert_eq!((resumed.state, resumed.next_run_times[0]), (ScheduleState::Enabled, T0 + 90_000));
    clock.advance(MINUTE);
    let seen = looked(&engine, &mut events, &id, T0 + 90_000).await;
    assert_eq!(seen.jobs.len(), 2, "run now and 00:02; nothing for the time due while paused");

    let stopped = engine.stop_schedule(&id).await.unwrap();
    assert_eq!((stopped.state, stopped.disabled_time), (ScheduleState::Disabled, T0 + 120_000));
    assert!(stopped.next_run_times.is_empty());
    assert_eq!(engine.resume_schedule(&id).await.unwrap().disabled_time, 0);

    engine.delete_schedule(&id).await.unwrap();
    assert!(matches!(engine.get_schedule(&id).await, Err(EngineError::NotFound { .. })));
    assert_eq!(engine.get_job(&now.job_id).await.unwrap().schedule_id.as_deref(), Some(id.as_str()), "its runs stay");
}

#[tokio::test]
async fn start_and_end_times_bound_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut events = engine.subscribe();
    let form = ScheduleForm {
        start_time: Some((T0 + 60_000).to_string()),
        end_time: Some((T0 + 150_000).to_string()),
        overlap_policy: Some("ALLOW".into()),
        ..every_minute(&engine, "bounded")
    };
    let schedule = engine.create_schedule(form).await.unwrap();
    assert_eq!(schedule.next_run_times, [T0 + 90_000, T0 + 150_000], "from startTime to endTime");
    let probe = engine.create_schedule(ScheduleForm { overlap_policy: Some("ALLOW".into()), ..every_minute(&engine, "probe") }).await.unwrap();
    for minute in 1..=4 {
        clock.advance(MINUTE);
        looked(&engine, &mut events, &probe.id, T0 + 30_000 + (minute - 1) * 60_000).await;
    }
    // The probe ran at each of four minutes, so the ticker looked at every one of them.
    assert_eq!(runs(&engine, &probe.id).await.len(), 4);
    let bounded = engine.get_schedule(&schedule.id).await.unwrap();
    assert_eq!(bounded.jobs.len(), 2, "00:02 and 00:03 only");
    assert!(bounded.next_run_times.is_empty());
}

#[tokio::test]
async fn bad_schedules_are_refused_by_field_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    engine.create_schedule(every_minute(&engine, "taken")).await.unwrap();
    type Change = Box<dyn Fn(&mut ScheduleForm)>;
    let cases: Vec<(&str, Change)> = vec![
        ("cron", Box::new(|f| f.cron = Some("* * 32 * *".into()))),
        ("cron", Box::new(|f| f.cron = Some("0 * * * * *".into()))),
        ("endTime", Box::new(|f| (f.start_time, f.end_time) = (Some("2000".into()), Some("1000".into())))),
        ("maxRetries", Box::new(|f| f.job.max_retries = Some("11".into()))),
        ("maxRetries", Box::new(|f| f.job.max_retries = Some("-1".into()))),
        ("timeZone", Box::new(|f| f.time_zone = Some("Nowhere/City".into()))),
        ("overlapPolicy", Box::new(|f| f.overlap_policy = Some("SOMETIMES".into()))),
        ("catchUpHorizon", Box::new(|f| f.catch_up_horizon = Some("99999999".into()))),
        ("jobClass", Box::new(|f| f.job.job_class = Some("other.py".into()))),
        ("name", Box::new(|f| f.job.name = Some("taken".into()))),
    ];
    for (field, change) in cases {
        let mut form = every_minute(&engine, "new");
        change(&mut form);
        let error = engine.create_schedule(form).await.unwrap_err();
        assert_eq!(error.field(), Some(field), "{error}");
    }
    let mut form = every_minute(&engine, "new");
    form.job.cluster_name = Some("nowhere".into());
    assert!(matches!(engine.create_schedule(form).await, Err(EngineError::NotFound { what: "cluster", .. })));
    let error = engine.create_schedule(ScheduleForm { cron: Some("61 * * * *".into()), ..every_minute(&engine, "x") }).await.unwrap_err();
    assert!(error.to_string().contains("minute field '61'"), "{error}");
    let all = engine.list_schedules(&ScheduleQuery::default()).await.unwrap();
    assert_eq!(all.total_elements, 1, "only the first one is stored");
}

#[tokio::test]
async fn a_python_schedules_job_class_names_its_main_script() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;
    let mut form = every_minute(&engine, "two files");
    let mut helper = engine.begin_upload("pyFiles", "job.py").unwrap();
    helper.write(b"print('main')\n").unwrap();
    form.job.py_files.push(helper.finish().unwrap());
    form.job.job_class = Some("job.py".into());
    let schedule = engine.create_schedule(form).await.unwrap();
    assert_eq!(schedule.job_class.as_deref(), Some("job.py"), "the main script goes first");
}

async fn attempts(engine: &Engine, name: &str) -> Vec<Job> {
    let query = JobQuery { search: Some(name.into()), ..JobQuery::default() };
    let mut jobs = engine.list_jobs(&query).await.unwrap().content;
    jobs.sort_by_key(|j| j.attempt);
    jobs
}

#[tokio::test]
async fn a_failed_job_is_tried_again_until_its_retries_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, Duration::from_millis(20)).await;
    let mut events = engine.subscribe();
    let form = JobSubmission { max_retries: Some("2".into()), ..python_job(&engine, "flaky") };
    let mut job = engine.submit_job(form).await.unwrap();
    for attempt in 1..=3 {
        assert_eq!((job.attempt, job.max_retries), (attempt, 2));
        let running = busy(&engine, &mut events, &job).await;
        assert!(runtime.end(&driver_of(&runtime, &running), ScriptedExit::Code(1)));
        states_until(&mut events, &job.job_id, |j| j.state == JobState::Failed).await;
        // The next attempt was committed with the failure.
        let all = attempts(&engine, "flaky").await;
        if attempt < 3 {
            assert_eq!(all.len(), attempt as usize + 1);
            job = all.last().unwrap().clone();
            assert_eq!((job.state, job.job_name.as_str()), (JobState::Submitted, "flaky"));
        } else {
            assert_eq!(all.len(), 3, "three attempts for maxRetries=2");
        }
    }
    let error = engine.submit_job(JobSubmission { max_retries: Some("11".into()), ..python_job(&engine, "x") }).await.unwrap_err();
    assert_eq!(error.field(), Some("maxRetries"));
}

#[tokio::test]
async fn a_stop_by_the_user_ends_the_retries() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, Duration::from_secs(3600)).await;
    let mut events = engine.subscribe();
    // A stopped running attempt is CANCELED, not FAILED: no retry.
    let running = engine.submit_job(JobSubmission { max_retries: Some("3".into()), ..python_job(&engine, "stopped") }).await.unwrap();
    busy(&engine, &mut events, &running).await;
    assert_eq!(engine.stop_job(&running.job_id).await.unwrap().state, JobState::Canceled);
    assert_eq!(attempts(&engine, "stopped").await.len(), 1);
    // A stopped queued attempt is the last one.
    let first = engine.submit_job(JobSubmission { max_retries: Some("3".into()), ..python_job(&engine, "queued") }).await.unwrap();
    let first = busy(&engine, &mut events, &first).await;
    assert!(runtime.end(&driver_of(&runtime, &first), ScriptedExit::Code(1)));
    states_until(&mut events, &first.job_id, |j| j.state == JobState::Failed).await;
    let next = attempts(&engine, "queued").await.pop().unwrap();
    assert_eq!((next.attempt, next.state), (2, JobState::Submitted));
    assert_eq!(engine.stop_job(&next.job_id).await.unwrap().state, JobState::Canceled);
    assert_eq!(attempts(&engine, "queued").await.len(), 2);
}

#[tokio::test]
async fn a_retry_chain_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ScriptedRuntime::new();
    let clock = Arc::new(ManualClock::new(T0));
    let next = {
        let engine = open(dir.path(), &runtime, &clock, Duration::from_millis(300)).await;
        let mut events = engine.subscribe();
        let first = engine.submit_job(JobSubmission { max_retries: Some("1".into()), ..python_job(&engine, "chain") }).await.unwrap();
        let first = busy(&engine, &mut events, &first).await;
        assert!(runtime.end(&driver_of(&runtime, &first), ScriptedExit::Code(1)));
        states_until(&mut events, &first.job_id, |j| j.state == JobState::Failed).await;
        engine.shutdown();
        attempts(&engine, "chain").await.pop().unwrap()
    };
    assert_eq!(next.attempt, 2);
    let engine = open(dir.path(), &runtime, &clock, Duration::from_millis(300)).await;
    let mut events = engine.subscribe();
    let launched = busy(&engine, &mut events, &next).await;
    assert_eq!(launched.attempt, 2, "the queued attempt launches after the reopen");
}

#[tokio::test]
async fn a_schedules_runs_are_retried_with_its_max_retries() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, Duration::from_millis(20)).await;
    let mut events = engine.subscribe();
    let form = every_minute(&engine, "retried");
    let form = ScheduleForm { job: JobSubmission { max_retries: Some("1".into()), ..form.job }, ..form };
    let schedule = engine.create_schedule(form).await.unwrap();
    assert_eq!(schedule.max_retries, 1);
    let run = engine.run_schedule_now(&schedule.id).await.unwrap();
    let run = busy(&engine, &mut events, &run).await;
    assert!(runtime.end(&driver_of(&runtime, &run), ScriptedExit::Code(1)));
    states_until(&mut events, &run.job_id, |j| j.state == JobState::Failed).await;
    let all = runs(&engine, &schedule.id).await;
    assert_eq!(all.iter().map(|j| j.attempt).collect::<Vec<_>>(), [2, 1], "the retry is a run of the schedule too");
}

#[tokio::test]
async fn a_cron_preview_counts_from_the_engines_clock_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, clock) = (ScriptedRuntime::new(), Arc::new(ManualClock::new(T0)));
    let engine = open(dir.path(), &runtime, &clock, MINUTE).await;

    let hour = 3_600_000;
    let first = T0 - T0 % hour + hour;
    assert_eq!(engine.preview_cron("0 * * * *", "UTC").unwrap(), (0..5).map(|i| first + i * hour).collect::<Vec<_>>());
    clock.advance(Duration::from_secs(3600));
    assert_eq!(engine.preview_cron("0 * * * *", "UTC").unwrap()[0], first + hour, "the clock moved an hour");
    let error = engine.preview_cron("0 * * * 8", "UTC").unwrap_err();
    assert_eq!(error.field(), Some("cron"));
    assert!(error.to_string().contains("day-of-week field '8'"), "{error}");
    let query = ScheduleQuery { states: ScheduleState::ALL.to_vec(), ..ScheduleQuery::default() };
    assert_eq!(engine.list_schedules(&query).await.unwrap().total_elements, 0);
    engine.shutdown();
}
