//! The one list of commands and events the UI may use. `ui/src/lib/bindings.ts` is
//! generated from it (`tests/bindings.rs` fails when the committed file drifts).

use sparkdeck_engine::limits;
use sparkdeck_engine::model::group::GroupState;
use sparkdeck_engine::model::job::JobState;
use sparkdeck_engine::model::schedule::{CatchUp, OverlapPolicy, ScheduleState};
use tauri_specta::{Builder, collect_commands, collect_events};

use crate::commands::{clusters, files, groups, jobs, kubeconfig, results, schedules, settings, spark, spark_app, windows};
use crate::events::EngineChanged;
use crate::single_instance::FilesOpened;

pub fn specta_builder<R: tauri::Runtime>() -> Builder<R> {
    Builder::<R>::new()
        .commands(collect_commands![
            clusters::list_clusters,
            clusters::get_cluster,
            clusters::create_cluster,
            clusters::update_cluster,
            clusters::delete_cluster,
            clusters::cluster_names,
            clusters::test_cluster_connection,
            kubeconfig::pick_kubeconfig,
            kubeconfig::import_kubeconfig,
            files::pick_text_file,
            files::pick_job_files,
            files::pick_save_file,
            jobs::submit_job,
            jobs::list_jobs,
            jobs::get_job,
            jobs::stop_job,
            jobs::resubmit_job,
            jobs::delete_job,
            jobs::job_logs,
            jobs::follow_job_log,
            jobs::spark_status,
            spark_app::job_stages,
            spark_app::job_executors,
            spark_app::previous_run,
            spark_app::compare_jobs,
            windows::open_job_window,
            windows::open_group_window,
            windows::open_spark_ui,
            groups::create_group,
            groups::update_group,
            groups::list_groups,
            groups::get_group,
            groups::rescale_group,
            groups::group_action,
            groups::delete_group,
            groups::run_group_request,
            groups::list_group_results,
            groups::cancel_group_request,
            results::save_result_csv,
            schedules::create_schedule,
            schedules::update_schedule,
            schedules::list_schedules,
            schedules::get_schedule,
            schedules::schedule_action,
            schedules::run_schedule_now,
            schedules::delete_schedule,
            schedules::preview_cron,
            settings::get_settings,
            settings::update_settings,
            settings::rest_server_status,
            spark::spark_install_status,
            spark::start_spark_install,
            spark::cancel_spark_install,
            spark::use_spark_folder,
            spark::pick_spark_folder,
        ])
        .events(collect_events![EngineChanged, FilesOpened])
        .constant("DEFAULT_CLUSTER", sparkdeck_engine::model::cluster::DEFAULT_CLUSTER)
        // The engine's limits and state lists, so the UI's inputs, hints and filters follow
        // the engine instead of keeping copies.
        .constant("MAX_SCALE", limits::MAX_SCALE)
        .constant("MAX_LOG_LINES", limits::MAX_LOG_LINES)
        .constant("JOB_STATES", JobState::ALL)
        .constant("ENDED_JOB_STATES", JobState::ALL.into_iter().filter(|s| s.is_terminal()).collect::<Vec<_>>())
        .constant("GROUP_STATES", GroupState::ALL)
        .constant("SCHEDULE_STATES", ScheduleState::ALL)
        .constant("OVERLAP_POLICIES", OverlapPolicy::ALL)
        .constant("CATCH_UP_POLICIES", CatchUp::ALL)
        .constant("MAX_RETRIES", limits::MAX_RETRIES)
        .constant("SPARK_INSTALL_VERSION", sparkdeck_engine::spark_install::SPARK_VERSION)
        // Epoch-millisecond times and counts stay far below 2^53.
        .dangerously_cast_bigints_to_number()
}

/// The TypeScript the UI imports.
pub fn export_typescript(path: &std::path::Path) -> Result<(), String> {
    let header = "// Generated from src-tauri by tauri-specta. Do not edit: run\n\
                  // `SPARKDECK_UPDATE_BINDINGS=1 cargo test -p sparkdeck-app --test bindings`.\n";
    specta_builder::<tauri::Wry>()
        .export(specta_typescript::Typescript::default().header(header), path)
        .map_err(|e| e.to_string())
}
