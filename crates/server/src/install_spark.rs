//! `sparkdeck-server --install-spark`: one install, its progress on stdout, Ctrl-C cancels.

use sparkdeck_engine::spark_install::{InstallState, InstallStep, SPARK_VERSION, SparkInstallStatus};
use sparkdeck_engine::{Engine, EngineEvent};

pub(crate) async fn run(engine: &Engine) -> Result<(), Box<dyn std::error::Error>> {
    let mut events = engine.subscribe();
    let started = engine.start_spark_install();
    println!("installing Spark {SPARK_VERSION} into {}", engine.data_dir().join(sparkdeck_engine::spark_install::INSTALL_DIR).display());
    let mut printed = Printed::default();
    printed.show(&started);
    let ended = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(EngineEvent::SparkInstallChanged { install }) if install.state.is_terminal() => break install,
                Ok(EngineEvent::SparkInstallChanged { install }) => printed.show(&install),
                Ok(_) => {}
                // Missed progress only: the end is read from the engine.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break engine.wait_spark_install().await,
            },
            _ = tokio::signal::ctrl_c() => {
                let _ = engine.cancel_spark_install();
                break engine.wait_spark_install().await;
            }
        }
    };
    match ended.state {
        InstallState::Succeeded => {
            let dir = ended.spark_dir.map(|d| d.display().to_string()).unwrap_or_default();
            println!("Spark {SPARK_VERSION} is installed in {dir}");
            Ok(())
        }
        _ => Err(format!("Spark was not installed: {}", ended.error.unwrap_or_else(|| "the install ended".into())).into()),
    }
}

/// Prints a line per step, and per tenth of a download where pip tells the bytes.
#[derive(Default)]
struct Printed {
    step: Option<InstallStep>,
    tenths: Option<u64>,
}

impl Printed {
    fn show(&mut self, status: &SparkInstallStatus) {
        if status.step != self.step {
            self.step = status.step;
            self.tenths = None;
            if let Some(step) = status.step {
                println!("{}…", step.describe());
            }
        }
        if let (Some(done), Some(total)) = (status.bytes_done, status.bytes_total)
            && total > 0
        {
            let tenths = done * 10 / total;
            if self.tenths != Some(tenths) {
                self.tenths = Some(tenths);
                println!("  {} of {}", human(done), human(total));
            }
        }
    }
}

/// `4.1 kB`, `434.2 MB` (pip's decimal units).
fn human(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1e6 { format!("{:.1} MB", bytes / 1e6) } else { format!("{:.1} kB", bytes / 1e3) }
}
