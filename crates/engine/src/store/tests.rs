//! The store against a real SQLite file: tag rows stay in step with the records, the
//! shared `LIKE` escape, and an index behind every whitelisted sort.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::collections::BTreeMap;

use super::Store;
use super::groups::GroupFilter;
use super::jobs::JobFilter;
use super::sql::{Listing, like_pattern};
use crate::model::cluster::{Cluster, ClusterSpec, ClusterType};
use crate::model::group::{Group, GroupKind, GroupRecord, GroupState, JobInstance, RequestType};
use crate::model::job::{Job, JobRecord, JobSpec, JobState, JobType, Language};
use crate::model::paging::PageRequest;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("test.db"), std::time::Duration::from_secs(10)).await.unwrap();
    (dir, store)
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn job(id: &str, name: &str, tags: BTreeMap<String, String>) -> JobRecord {
    JobRecord {
        job: Job {
            job_id: id.into(),
            group_id: None,
            job_name: name.into(),
            job_type: JobType::Single,
            tags,
            language: Language::Python,
            cluster_name: "default".into(),
            app_id: None,
            state: JobState::Finished,
            error: None,
            error_cause: None,
            spark_ui_url: None,
            submit_time: 1,
            start_time: 0,
            end_time: 0,
            settings: Default::default(),
            schedule_id: None,
            attempt: 1,
            max_retries: 0,
            usual_duration_ms: None,
            slower_than_usual: false,
        },
        cluster_id: "default".into(),
        spec: JobSpec::default(),
        driver: None,
        not_before: 0,
        due_time: 0,
    }
}

fn group(id: &str, name: &str, tags: BTreeMap<String, String>) -> GroupRecord {
    GroupRecord {
        group: Group {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            kind: GroupKind::Code,
            tags,
            language: Language::Python,
            cluster_name: "default".into(),
            state: GroupState::Active,
            scale: 1,
            job_config: BTreeMap::new(),
            py_requirements: Vec::new(),
            packages: String::new(),
            memory_settings: Default::default(),
            paused: false,
            auto_pause: false,
            created_time: 1,
            updated_time: 1,
            archived_time: 0,
            jobs: Vec::new(),
        },
        cluster_id: "default".into(),
        spec: JobSpec::default(),
        jar_paths: Vec::new(),
        watch_jars: false,
    }
}

async fn job_ids(store: &Store, tags: &BTreeMap<String, String>) -> Vec<String> {
    let filter = JobFilter { tags: Some(tags), ..JobFilter::default() };
    let (total, jobs) = store.job_page(&filter, &PageRequest::default()).await.unwrap();
    let mut ids: Vec<String> = jobs.into_iter().map(|j| j.job_id).collect();
    ids.sort();
    assert_eq!(total, ids.len() as u64, "count and page agree");
    ids
}

async fn group_ids(store: &Store, tags: &BTreeMap<String, String>) -> Vec<String> {
    let filter = GroupFilter { tags: Some(tags), ..GroupFilter::default() };
    let (total, groups) = store.group_page(&filter, &PageRequest::default()).await.unwrap();
    let mut ids: Vec<String> = groups.into_iter().map(|g| g.group.id).collect();
    ids.sort();
    assert_eq!(total, ids.len() as u64, "count and page agree");
    ids
}

/// The tag rows of one record, as a map.
async fn tag_rows(store: &Store, sql: &str, id: &str) -> BTreeMap<String, String> {
    sqlx::query_as::<_, (String, String)>(sql).bind(id).fetch_all(&store.pool).await.unwrap().into_iter().collect()
}

const JOB_TAG_ROWS: &str = "SELECT key, value FROM job_tags WHERE job_id = ?";
const GROUP_TAG_ROWS: &str = "SELECT key, value FROM group_tags WHERE group_id = ?";

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn like_pattern_escapes_wildcards_and_the_escape() {
    assert_eq!(like_pattern("etl"), "%etl%");
    assert_eq!(like_pattern("50%"), "%50\\%%");
    assert_eq!(like_pattern("a_b"), "%a\\_b%");
    assert_eq!(like_pattern("c:\\x"), "%c:\\\\x%");
    assert_eq!(like_pattern("it's \"q\""), "%it's \"q\"%", "quotes are bound, not escaped");
}

#[tokio::test]
async fn search_matches_wildcards_literally_in_every_list() {
    let (_dir, store) = store().await;
    for (id, name) in [("a", "sale 50% off"), ("b", "sale 500"), ("c", "a_b"), ("d", "axb"), ("e", "back\\slash"), ("f", "it's")] {
        store.insert_job(&job(id, name, BTreeMap::new())).await.unwrap();
        store.insert_group(&group(id, name, BTreeMap::new())).await.unwrap();
        let cluster = Cluster {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            cluster_type: ClusterType::Local,
            spec: ClusterSpec::default(),
            created_time: 1,
            updated_time: 1,
        };
        store.insert_cluster(&cluster).await.unwrap();
    }
    for (word, expected) in [("50%", vec!["a"]), ("a_b", vec!["c"]), ("\\", vec!["e"]), ("'", vec!["f"]), ("SALE", vec!["a", "b"])] {
        let page = PageRequest::default();
        let filter = JobFilter { search: Some(word), ..JobFilter::default() };
        let jobs: Vec<String> = store.job_page(&filter, &page).await.unwrap().1.into_iter().map(|j| j.job_id).collect();
        let filter = GroupFilter { search: Some(word), ..GroupFilter::default() };
        let groups: Vec<String> = store.group_page(&filter, &page).await.unwrap().1.into_iter().map(|g| g.group.id).collect();
        let clusters: Vec<String> = store.cluster_page(Some(word), &page).await.unwrap().1.into_iter().map(|c| c.id).collect();
        let expected: Vec<String> = expected.into_iter().map(String::from).collect();
        assert_eq!((sorted(jobs), sorted(groups), sorted(clusters)), (expected.clone(), expected.clone(), expected), "search {word:?}");
    }
}

/// A request just queued to group `group`.
fn queued_instance(id: &str, group: &str, request_type: RequestType) -> JobInstance {
    JobInstance {
        job_instance_id: id.into(),
        job_id: None,
        group_id: group.into(),
        request_type,
        state: JobState::Submitted,
        job_class: None,
        job_config: serde_json::Map::new(),
        code: None,
        cursor: None,
        result: None,
        completions: None,
        language: None,
        data: None,
        error: None,
        submit_time: 1,
        start_time: 0,
        end_time: 0,
    }
}

#[tokio::test]
async fn instance_search_escapes_wildcards() {
    let (_dir, store) = store().await;
    store.insert_group(&group("g", "g", BTreeMap::new())).await.unwrap();
    for (id, class) in [("i1", "com.x.Job_1"), ("i2", "com.x.JobX1")] {
        let instance = JobInstance { job_class: Some(class.into()), ..queued_instance(id, "g", RequestType::InteractiveJobExecute) };
        store.insert_instance(&instance, None).await.unwrap();
    }
    let (total, found) = store.instance_page("g", Some("Job_1"), &PageRequest::default()).await.unwrap();
    assert_eq!((total, found.len()), (1, 1));
    assert_eq!(found[0].job_instance_id, "i1");
    let (total, _) = store.instance_page("other", None, &PageRequest::default()).await.unwrap();
    assert_eq!(total, 0, "only the group's own instances");
}

/// A Livy statement's number is stored with its request, per group from 0; a request
/// whose insert fails (here: an id taken) leaves no number behind.
#[tokio::test]
async fn livy_statement_numbers_are_stored_with_their_requests() {
    let (_dir, store) = store().await;
    store.insert_group(&group("g", "g", BTreeMap::new())).await.unwrap();
    store.insert_group(&group("h", "h", BTreeMap::new())).await.unwrap();
    let request = |id: &str, group: &str| JobInstance { code: Some("1".into()), ..queued_instance(id, group, RequestType::InteractiveCodeExecute) };
    assert_eq!(store.insert_instance(&request("a", "g"), Some("pyspark")).await.unwrap(), Some(0));
    assert_eq!(store.insert_instance(&request("b", "g"), Some("spark")).await.unwrap(), Some(1));
    assert_eq!(store.insert_instance(&request("c", "h"), Some("sql")).await.unwrap(), Some(0), "numbered per group");
    assert_eq!(store.insert_instance(&request("d", "g"), None).await.unwrap(), None, "a platform request is not numbered");
    assert!(store.insert_instance(&request("a", "g"), Some("pyspark")).await.is_err(), "the id is taken");
    let (total, statements) = store.livy_statements("g", 0, 10, false).await.unwrap();
    assert_eq!(total, 2, "the refused request left no number");
    let shown: Vec<(u32, String, String)> = statements.into_iter().map(|s| (s.id, s.instance_id, s.livy_kind)).collect();
    assert_eq!(shown, [(0, "a".into(), "pyspark".into()), (1, "b".into(), "spark".into())]);
}

#[tokio::test]
async fn job_tag_rows_follow_insert_and_delete() {
    let (_dir, store) = store().await;
    let odd = "50%_off 'q' \"dq\"";
    store.insert_job(&job("j1", "one", tags(&[("team", "t1"), ("env", "prod")]))).await.unwrap();
    store.insert_job(&job("j2", "two", tags(&[("team", "t2"), ("env", "prod")]))).await.unwrap();
    store.insert_job(&job("j3", "three", tags(&[("team", odd)]))).await.unwrap();
    store.insert_job(&job("j4", "four", tags(&[("team", "50x_off 'q' \"dq\"")]))).await.unwrap();
    store.insert_job(&job("j5", "five", BTreeMap::new())).await.unwrap();
    assert_eq!(tag_rows(&store, JOB_TAG_ROWS, "j1").await, tags(&[("team", "t1"), ("env", "prod")]));
    assert!(tag_rows(&store, JOB_TAG_ROWS, "j5").await.is_empty());

    assert_eq!(job_ids(&store, &tags(&[("env", "prod")])).await, ["j1", "j2"]);
    assert_eq!(job_ids(&store, &tags(&[("team", "t1"), ("env", "prod")])).await, ["j1"], "all pairs must match");
    assert!(job_ids(&store, &tags(&[("team", "t1"), ("env", "dev")])).await.is_empty());
    assert!(job_ids(&store, &tags(&[("prod", "env")])).await.is_empty(), "key and value are not interchangeable");
    assert_eq!(job_ids(&store, &tags(&[("team", odd)])).await, ["j3"], "values match exactly, not as patterns");
    assert!(job_ids(&store, &tags(&[("team", "t%")])).await.is_empty());

    store.delete_job("j1").await.unwrap().unwrap();
    assert!(tag_rows(&store, JOB_TAG_ROWS, "j1").await.is_empty(), "tag rows go with the job");
    assert_eq!(job_ids(&store, &tags(&[("env", "prod")])).await, ["j2"]);
}

#[tokio::test]
async fn a_failed_job_insert_leaves_no_tag_rows() {
    let (_dir, store) = store().await;
    store.insert_job(&job("j1", "one", tags(&[("team", "t1")]))).await.unwrap();
    assert!(store.insert_job(&job("j1", "again", tags(&[("team", "t9")]))).await.is_err(), "duplicate id");
    assert_eq!(tag_rows(&store, JOB_TAG_ROWS, "j1").await, tags(&[("team", "t1")]));
    assert!(job_ids(&store, &tags(&[("team", "t9")])).await.is_empty());
}

#[tokio::test]
async fn group_tag_rows_follow_insert_update_and_delete() {
    let (_dir, store) = store().await;
    let mut g1 = group("g1", "one", tags(&[("team", "t1"), ("env", "prod")]));
    store.insert_group(&g1).await.unwrap();
    store.insert_group(&group("g2", "two", tags(&[("team", "it's 100%")]))).await.unwrap();
    assert_eq!(group_ids(&store, &tags(&[("team", "t1"), ("env", "prod")])).await, ["g1"]);
    assert_eq!(group_ids(&store, &tags(&[("team", "it's 100%")])).await, ["g2"]);
    assert!(group_ids(&store, &tags(&[("team", "it's 100_")])).await.is_empty());

    g1.group.tags = tags(&[("team", "t2"), ("owner", "ana")]);
    assert!(store.update_group(&g1).await.unwrap());
    assert_eq!(tag_rows(&store, GROUP_TAG_ROWS, "g1").await, g1.group.tags, "rows replaced, not added to");
    assert!(group_ids(&store, &tags(&[("env", "prod")])).await.is_empty(), "a removed tag no longer matches");
    assert!(group_ids(&store, &tags(&[("team", "t1")])).await.is_empty(), "a changed value no longer matches");
    assert_eq!(group_ids(&store, &tags(&[("team", "t2"), ("owner", "ana")])).await, ["g1"]);

    store.delete_group("g1").await.unwrap().unwrap();
    assert!(tag_rows(&store, GROUP_TAG_ROWS, "g1").await.is_empty(), "tag rows go with the group");
}

#[tokio::test]
async fn a_corrupt_row_is_an_error() {
    let (_dir, store) = store().await;
    store.insert_group(&group("g1", "one", BTreeMap::new())).await.unwrap();
    // CHECK constraints guard the file; a corrupt one can hold anything.
    let mut conn = store.pool.acquire().await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE groups SET scale = -1").execute(&mut *conn).await.unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = OFF").execute(&mut *conn).await.unwrap();
    drop(conn);
    let e = store.group_by_id("g1").await.unwrap_err().to_string();
    assert!(e.contains("group scale"), "{e}");
}

/// The plan of `SELECT … ORDER BY column` (as a list pages it) for every whitelisted sort.
async fn sort_plans(store: &Store, listing: &Listing, filter: &str) -> Vec<(String, String)> {
    let mut plans = Vec::new();
    for (field, column) in listing.sortable {
        let sql = format!("EXPLAIN QUERY PLAN SELECT * FROM {} {filter} ORDER BY {column} DESC, id ASC LIMIT 50", listing.table);
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql).fetch_all(&store.pool).await.unwrap();
        plans.push((field.to_string(), rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; ")));
    }
    plans
}

#[tokio::test]
async fn every_sort_is_served_by_an_index() {
    let (_dir, store) = store().await;
    let lists = [
        (&super::jobs::LISTING, ""),
        (&super::groups::LISTING, ""),
        (&super::clusters::LISTING, ""),
        (&super::instances::LISTING, "WHERE group_id = 'g'"),
        (&super::schedules::LISTING, ""),
    ];
    for (listing, filter) in lists {
        for (field, plan) in sort_plans(&store, listing, filter).await {
            // Only the id tiebreak may be sorted ("RIGHT PART OF ORDER BY").
            assert!(!plan.contains("TEMP B-TREE FOR ORDER BY"), "{} sorted by {field} without an index: {plan}", listing.table);
        }
    }
}

fn active_job(id: &str, tags: BTreeMap<String, String>) -> JobRecord {
    let mut r = job(id, id, tags);
    r.job.state = JobState::Submitted;
    r
}

async fn job_ids_in(store: &Store, tags: &BTreeMap<String, String>, states: &[JobState]) -> Vec<String> {
    let filter = JobFilter { tags: Some(tags), states, ..JobFilter::default() };
    let (total, jobs) = store.job_page(&filter, &PageRequest::default()).await.unwrap();
    assert_eq!(total, jobs.len() as u64, "count and page agree");
    sorted(jobs.into_iter().map(|j| j.job_id).collect())
}

/// The copies of the job's filter columns on each of its tag rows.
async fn mirrors(store: &Store, id: &str) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT mirror_state, mirror_cluster_name, mirror_job_type FROM job_tags WHERE job_id = ? ORDER BY key")
        .bind(id)
        .fetch_all(&store.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn tag_rows_follow_the_jobs_state() {
    let (_dir, store) = store().await;
    let team = tags(&[("team", "t1"), ("env", "prod")]);
    let mut j1 = active_job("j1", team.clone());
    store.insert_job(&j1).await.unwrap();
    store.insert_job(&active_job("j2", team.clone())).await.unwrap();
    let copy = ("SUBMITTED".to_string(), "default".to_string(), "SINGLE".to_string());
    assert_eq!(mirrors(&store, "j1").await, [copy.clone(), copy]);
    assert_eq!(job_ids_in(&store, &team, &[JobState::Submitted]).await, ["j1", "j2"]);

    j1.job.state = JobState::Busy;
    assert!(store.update_active_job(&j1).await.unwrap());
    assert_eq!(job_ids_in(&store, &team, &[JobState::Submitted]).await, ["j2"], "the old state no longer matches");
    assert_eq!(job_ids_in(&store, &team, &[JobState::Busy]).await, ["j1"]);
    assert_eq!(job_ids_in(&store, &tags(&[("env", "prod")]), &[JobState::Busy, JobState::Submitted]).await, ["j1", "j2"]);

    j1.job.state = JobState::Failed;
    assert!(store.update_active_job(&j1).await.unwrap());
    j1.job.state = JobState::Finished;
    assert!(!store.update_active_job(&j1).await.unwrap(), "the first end wins");
    assert_eq!(job_ids_in(&store, &team, &[JobState::Failed]).await, ["j1"], "rows follow only what was written");
    assert!(job_ids_in(&store, &team, &[JobState::Finished]).await.is_empty());
}

#[tokio::test]
async fn tag_and_cluster_filters_compare_like_the_columns() {
    let (_dir, store) = store().await;
    store.insert_job(&job("j1", "one", tags(&[("team", "t1")]))).await.unwrap();
    let (cluster_names, job_types) = (["DEFAULT".to_string()], [JobType::Single]);
    let team = tags(&[("team", "t1")]);
    let filter = JobFilter { tags: Some(&team), cluster_names: &cluster_names, job_types: &job_types, ..JobFilter::default() };
    let (total, _) = store.job_page(&filter, &PageRequest::default()).await.unwrap();
    assert_eq!(total, 1, "cluster names compare case-insensitively with or without tags");
    let other = [JobType::Shell];
    let filter = JobFilter { job_types: &other, ..filter };
    assert_eq!(store.job_page(&filter, &PageRequest::default()).await.unwrap().0, 0);
}

/// With a tag join, every filter and every sort still names its own table's columns
/// (an ambiguous column would be an error here).
#[tokio::test]
async fn every_filter_and_sort_works_beside_the_tag_join() {
    let (_dir, store) = store().await;
    store.insert_job(&job("j1", "nightly", tags(&[("team", "t1"), ("env", "prod")]))).await.unwrap();
    store.insert_group(&group("g1", "nightly", tags(&[("team", "t1"), ("env", "prod")]))).await.unwrap();
    let pairs = tags(&[("team", "t1"), ("env", "prod")]);
    let (ids, names) = (["j1".to_string()], ["default".to_string()]);
    let jobs = JobFilter {
        job_ids: &ids,
        job_types: &[JobType::Single],
        states: &[JobState::Finished],
        cluster_names: &names,
        tags: Some(&pairs),
        search: Some("night"),
        ..JobFilter::default()
    };
    let groups = GroupFilter {
        states: &[GroupState::Active],
        kinds: &[GroupKind::Code],
        cluster_names: &names,
        tags: Some(&pairs),
        search: Some("night"),
        ..GroupFilter::default()
    };
    let sort_by = |field: &str| PageRequest::from_query(None, None, &[format!("{field},desc")]).unwrap();
    for (field, _) in super::jobs::LISTING.sortable {
        assert_eq!(store.job_page(&jobs, &sort_by(field)).await.unwrap().0, 1, "jobs sorted by {field}");
    }
    for (field, _) in super::groups::LISTING.sortable {
        assert_eq!(store.group_page(&groups, &sort_by(field)).await.unwrap().0, 1, "groups sorted by {field}");
    }
}

fn schedule(id: &str, last_due: i64) -> crate::model::schedule::ScheduleRecord {
    use crate::model::schedule::{CatchUp, OverlapPolicy, ScheduleRecord, ScheduleState};
    ScheduleRecord {
        id: id.into(),
        name: id.into(),
        description: String::new(),
        cron: "* * * * *".into(),
        time_zone: "UTC".into(),
        state: ScheduleState::Enabled,
        overlap_policy: OverlapPolicy::Skip,
        catch_up: CatchUp::Latest,
        catch_up_horizon: 86_400,
        tags: BTreeMap::new(),
        language: Language::Python,
        cluster_id: "default".into(),
        cluster_name: "default".into(),
        start_time: 0,
        end_time: 0,
        max_retries: 0,
        created_time: last_due,
        updated_time: last_due,
        disabled_time: 0,
        last_due,
        queued_due: 0,
        spec: JobSpec::default(),
    }
}

#[tokio::test]
async fn a_due_time_moves_once_with_its_runs_or_not_at_all() {
    let (_dir, store) = store().await;
    store.insert_schedule(&schedule("s", 1_000)).await.unwrap();
    let mut run = active_job("run-1", BTreeMap::new());
    run.job.schedule_id = Some("s".into());
    assert!(store.advance_schedule("s", (1_000, 0), (60_000, 0), std::slice::from_ref(&run)).await.unwrap());
    // A second writer that read the old due state (a crash's replay, a stale look) changes nothing.
    let mut again = active_job("run-2", BTreeMap::new());
    again.job.schedule_id = Some("s".into());
    assert!(!store.advance_schedule("s", (1_000, 0), (60_000, 0), &[again]).await.unwrap());
    let runs: Vec<String> = store.schedule_runs("s", 10).await.unwrap().into_iter().map(|j| j.job_id).collect();
    assert_eq!(runs, ["run-1"]);
    let stored = store.schedule_by_id("s").await.unwrap().unwrap();
    assert_eq!((stored.last_due, stored.queued_due), (60_000, 0));
    // Not ENABLED: the ticker's write is refused too.
    let mut paused = stored.clone();
    paused.state = crate::model::schedule::ScheduleState::Paused;
    assert!(store.update_schedule(&paused, None).await.unwrap());
    assert!(!store.advance_schedule("s", (60_000, 0), (120_000, 0), &[]).await.unwrap());
}

/// The slow-run mark: the median of the five FINISHED runs of the same name submitted
/// before, worked out for a whole page in one query.
#[tokio::test]
async fn a_run_at_least_half_again_slower_than_its_last_five_is_marked() {
    let (_dir, store) = store().await;
    let run = |n: i64, name: &str, state: JobState, took: i64| {
        let mut r = job(&format!("j{n:02}"), name, BTreeMap::new());
        (r.job.state, r.job.submit_time, r.job.start_time) = (state, n, n * 10_000);
        r.job.end_time = r.job.start_time + took;
        r
    };
    let runs = [
        run(1, "etl", JobState::Finished, 900), // the sixth before: not counted
        run(2, "etl", JobState::Finished, 100),
        run(3, "etl", JobState::Finished, 110),
        run(4, "etl", JobState::Failed, 5000), // not FINISHED: not counted
        run(5, "etl", JobState::Finished, 90),
        run(6, "etl", JobState::Finished, 100),
        run(7, "etl", JobState::Finished, 105),
        run(8, "etl", JobState::Finished, 150), // median of 100,110,90,100,105 = 100: 1.5×
        run(9, "etl", JobState::Finished, 120), // median of 110,90,100,105,150 = 105: no
        run(10, "other", JobState::Finished, 999_999), // no earlier runs of its name
    ];
    for r in &runs {
        store.insert_job(r).await.unwrap();
    }
    let (_, mut page) = store.job_page(&JobFilter::default(), &PageRequest::default()).await.unwrap();
    store.mark_slow_runs(&mut page).await.unwrap();
    let marks: BTreeMap<String, (Option<i64>, bool)> =
        page.into_iter().map(|j| (j.job_id, (j.usual_duration_ms.map(|d| d.get()), j.slower_than_usual))).collect();
    assert_eq!(marks["j08"], (Some(100), true));
    assert_eq!(marks["j09"], (Some(105), false));
    assert_eq!(marks["j04"], (None, false), "only FINISHED runs are marked");
    assert_eq!(marks["j10"], (None, false));
    assert_eq!(marks["j03"], (None, false), "fewer than three earlier runs: no usual duration");
    assert_eq!(marks["j05"], (Some(110), false), "900, 100, 110: median 110");
    let previous = store.previous_ended_run("etl", 8, "j08").await.unwrap().unwrap();
    assert_eq!(previous.job_id, "j07");
}
