//! A code group's console in the real window on real Spark: one driver answers a Python cell
//! as text, a SQL cell as a table (50 rows, "Load more", a header click sorts), and a Scala
//! cell, which completes with Scala's candidates; the table is saved through the native save
//! dialog as the engine stored it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap in a test is the failure

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use sparkdeck_e2e::App;

const TITLE: &str = "^e2e-console — Sparkdeck$";

/// Types `code` into the console in `language` and runs it.
async fn run_cell(app: &App, language: &str, code: &str) {
    app.find(Locator::Id("group-code-language")).await.select_by_value(language).await.unwrap();
    let editor = app.find(Locator::Id("group-code")).await;
    editor.clear().await.unwrap();
    editor.send_keys(code).await.unwrap();
    app.click(Locator::Id("group-run")).await;
}

/// Waits until the newest cell's output contains `text` (a fresh driver's first cell may take a while).
async fn wait_output(app: &App, text: &str, within: Duration) {
    let started = Instant::now();
    loop {
        if let Ok(cell) = app.client.find(Locator::Css("ol.cells > li.cell:first-child")).await
            && cell.text().await.unwrap_or_default().contains(text)
        {
            return;
        }
        assert!(started.elapsed() < within, "no output with {text:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The newest cell's table rows, each its cells' text joined by tabs (read from the DOM: rows
/// scrolled out of the table's view have no rendered text).
async fn table_rows(app: &App) -> Vec<String> {
    let script = "return [...document.querySelectorAll('ol.cells > li.cell:first-child .result-table tbody tr')]\
                  .map((tr) => [...tr.cells].map((td) => td.textContent).join('\\t'));";
    let rows = app.client.execute(script, vec![]).await.unwrap();
    rows.as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_console_runs_python_sql_and_scala_cells_and_shows_sql_rows_as_a_table() {
    let work = tempfile::tempdir().unwrap();
    let app = App::launch().await;
    app.fill_group_form("e2e-console", "CODE", "PYTHON", 1).await;
    app.screenshot("group-form-code").await;
    app.click(Locator::Id("group-create")).await;

    let row = app.find(Locator::Css("tr.group-row")).await;
    let id = row.attr("data-group-id").await.unwrap().expect("row names its group");
    app.open_window(Locator::Css(&format!("tr.group-row[data-group-id='{id}'] th")), "group window").await;
    // The console starts in the group's language.
    let language = app.find(Locator::Id("group-code-language")).await;
    assert_eq!(language.prop("value").await.unwrap().as_deref(), Some("PYTHON"));

    run_cell(&app, "PYTHON", "spark.range(7).count()").await;
    wait_output(&app, "7", Duration::from_secs(180)).await;

    // SQL: the rows come back as a table, 50 first, then the rest on "Load more".
    run_cell(&app, "SQL", "SELECT id, id * 2 AS twice, CASE WHEN id % 10 = 0 THEN NULL ELSE 'n' || id END AS label FROM range(60)").await;
    wait_output(&app, "60 rows; showing 50", Duration::from_secs(60)).await;
    assert_eq!(table_rows(&app).await.len(), 50);
    app.click(Locator::XPath("//li[contains(@class,'cell')][1]//button[starts-with(normalize-space(),'Load more')]")).await;
    wait_output(&app, "60 rows", Duration::from_secs(5)).await;
    assert_eq!(table_rows(&app).await.len(), 60);
    // "twice" sorted down: 118 first (numbers as numbers, not as text, where "98" > "118").
    let twice = Locator::XPath("//li[contains(@class,'cell')][1]//th[.//button[starts-with(normalize-space(),'twice')]]//button");
    app.click(twice).await;
    app.click(twice).await;
    assert_eq!(table_rows(&app).await[..2], ["59\t118\tn59", "58\t116\tn58"]);
    app.screenshot_window("group-console-sql", TITLE).await;

    // Save as CSV…: the native save dialog, then the file holds the stored rows in their order.
    let target = work.path().join("rows.csv");
    app.click(Locator::XPath("//li[contains(@class,'cell')][1]//button[normalize-space()='Save as CSV…']")).await;
    app.save_in_file_dialog("Save the result as CSV", &target).await;
    app.wait_for_text(&format!("Saved 60 rows to {}", target.display())).await;
    let csv = std::fs::read_to_string(&target).unwrap();
    assert!(csv.starts_with("id,twice,label\r\n0,0,\r\n1,2,n1\r\n"), "{csv:?}");
    assert_eq!(csv.lines().count(), 61);

    // Scala on the same driver, in Spark's own interpreter.
    run_cell(&app, "SCALA", "spark.range(5).count()").await;
    wait_output(&app, "= 5", Duration::from_secs(120)).await;
    // Completion in Scala: Tab after a name offers the REPL's candidates; Enter inserts one.
    let editor = app.find(Locator::Id("group-code")).await;
    editor.send_keys("spark.rang").await.unwrap();
    editor.send_keys(&Key::Tab.to_string()).await.unwrap();
    app.find(Locator::XPath("//*[@id='group-completions']//*[@role='option'][normalize-space()='range']")).await;
    let options = app.client.execute("return [...document.querySelectorAll('#group-completions [role=option]')].map((o) => o.textContent.trim());", vec![]).await.unwrap();
    let first = options[0].as_str().unwrap_or_default().to_string();
    editor.send_keys(&Key::Enter.to_string()).await.unwrap();
    let started = Instant::now();
    while editor.prop("value").await.unwrap().as_deref() != Some(format!("spark.{first}").as_str()) {
        assert!(started.elapsed() < Duration::from_secs(10), "completion not inserted: {:?} (offered {options})", editor.prop("value").await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot_window("group-console", TITLE).await;
    // The results list below shows the same table with each request.
    let results = app.find(Locator::Id("results-title")).await;
    app.client.execute("arguments[0].scrollIntoView({block: 'start'});", vec![serde_json::to_value(&results).unwrap()]).await.unwrap();
    app.screenshot_window("group-console-results", TITLE).await;
    app.close().await;
}
