//! Normalising what `spark-submit` sent (or what our builders make) so the two compare:
//! generated ids, ports, paths and times become placeholders, `spark.properties` becomes
//! a sorted map, and each object goes through its k8s-openapi type.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::{Value, json};

/// `java.util.Properties` text → map (the subset `Properties.store` writes).
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        let chars: Vec<char> = trimmed.chars().collect();
        let mut split = chars.len();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 1,
                '=' | ':' => {
                    split = i;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let key: String = chars[..split].iter().collect();
        let value: String = chars.get(split + 1..).map(|v| v.iter().collect()).unwrap_or_default();
        map.insert(unescape(key.trim_end()), unescape(&value));
    }
    map
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Sends a body through its typed k8s-openapi object, so absent-vs-default and field
/// order cannot differ between the two sides.
fn typed(body: &Value) -> Value {
    let kind = body["kind"].as_str().unwrap_or_default();
    match kind {
        "Pod" => serde_json::to_value(serde_json::from_value::<Pod>(body.clone()).unwrap()).unwrap(),
        "Service" => serde_json::to_value(serde_json::from_value::<Service>(body.clone()).unwrap()).unwrap(),
        "NetworkPolicy" => serde_json::to_value(serde_json::from_value::<NetworkPolicy>(body.clone()).unwrap()).unwrap(),
        "ConfigMap" => serde_json::to_value(serde_json::from_value::<ConfigMap>(body.clone()).unwrap()).unwrap(),
        other => panic!("unexpected object kind {other:?}"),
    }
}

/// Normalises a set of `(method, path, body)` requests. `known` maps further literal
/// values (the master URL, the CA file path) to placeholders.
pub fn normalise(requests: &[(String, String, Value)], known: &[(&str, &str)]) -> Value {
    let pod = requests.iter().map(|r| &r.2).find(|b| b["kind"] == "Pod").expect("a pod was sent");
    let app_id = pod["metadata"]["labels"]["spark-app-selector"].as_str().unwrap().to_string();
    let pod_name = pod["metadata"]["name"].as_str().unwrap().to_string();
    let prefix = pod_name.strip_suffix("-driver").unwrap().to_string();
    let volumes = pod["spec"]["volumes"].as_array().unwrap();
    let config_map = volumes.iter().find_map(|v| v["configMap"]["name"].as_str()).unwrap().to_string();
    let env = pod["spec"]["containers"][0]["env"].as_array().unwrap();
    let local_dir = env.iter().find(|e| e["name"] == "SPARK_LOCAL_DIRS").unwrap()["value"].as_str().unwrap().to_string();

    let mut out = Vec::new();
    for (method, path, body) in requests {
        let mut object = typed(body);
        object["metadata"].as_object_mut().unwrap().remove("namespace");
        if let Some(data) = object.get_mut("data").and_then(|d| d.get_mut("spark.properties")) {
            let mut props = parse_properties(data.as_str().unwrap());
            props.insert("spark.app.submitTime".into(), "<SUBMIT_TIME>".into());
            *data = json!(props);
        }
        for var in object.pointer_mut("/spec/containers/0/env").and_then(Value::as_array_mut).into_iter().flatten() {
            if var["name"] == "SPARK_USER" {
                var["value"] = json!("<USER>");
            }
        }
        let path = path.split('?').next().unwrap().to_string();
        out.push(json!({"method": method, "path": path, "object": object}));
    }
    let mut text = serde_json::to_string_pretty(&out).unwrap();
    let mut replacements: Vec<(String, String)> = known.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    replacements.extend([
        (app_id, "<APP_ID>".to_string()),
        (config_map, "<CONFIG_MAP>".to_string()),
        (prefix, "<PREFIX>".to_string()),
        (local_dir, "<LOCAL_DIR>".to_string()),
        (super::recorder::RECORDED_UID.to_string(), "<POD_UID>".to_string()),
    ]);
    for (value, placeholder) in replacements {
        text = text.replace(&value, &placeholder);
    }
    serde_json::from_str(&text).unwrap()
}

/// The objects of a normalised recording, by kind.
pub fn objects_by_kind(normalised: &Value) -> BTreeMap<String, Value> {
    normalised
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["object"]["kind"].as_str().unwrap().to_string(), r["object"].clone()))
        .collect()
}
