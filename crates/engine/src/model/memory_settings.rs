//! A job's or group's memory and executor settings (API 1.5.3 `memorySettingsCreation` /
//! `memorySettings`): the form of strings as sent, the checked [`MemorySettings`], and
//! the Spark properties they stand for.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// The fields as sent (REST form parts, desktop form): absent = not given; on an update
/// an empty string clears a setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct MemorySettingsForm {
    pub driver_memory: Option<String>,
    pub executor_memory: Option<String>,
    pub driver_cores: Option<String>,
    pub executor_cores: Option<String>,
    pub executors: Option<String>,
    pub dynamic_allocation: Option<String>,
    pub initial_executors: Option<String>,
    pub min_executors: Option<String>,
    pub max_executors: Option<String>,
}

impl MemorySettingsForm {
    /// The REST form's part names, for the routes' lists of text fields.
    pub const FIELDS: [&'static str; 9] = [
        "driverMemory",
        "executorMemory",
        "driverCores",
        "executorCores",
        "executors",
        "dynamicAllocation",
        "initialExecutors",
        "minExecutors",
        "maxExecutors",
    ];

    /// The slot for a REST part name, if it is one of [`Self::FIELDS`].
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "driverMemory" => &mut self.driver_memory,
            "executorMemory" => &mut self.executor_memory,
            "driverCores" => &mut self.driver_cores,
            "executorCores" => &mut self.executor_cores,
            "executors" => &mut self.executors,
            "dynamicAllocation" => &mut self.dynamic_allocation,
            "initialExecutors" => &mut self.initial_executors,
            "minExecutors" => &mut self.min_executors,
            "maxExecutors" => &mut self.max_executors,
            _ => return None,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Checked settings: stored with the job's spec and shown as the 1.5.3 `memorySettings`
/// (integers, booleans, JVM memory strings; unset ones left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct MemorySettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executors: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_cores: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor_cores: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_memory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor_memory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_executors: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_executors: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_executors: Option<u32>,
}

const DYNAMIC_ALLOCATION: &str = "spark.dynamicAllocation.enabled";
const SHUFFLE_TRACKING: &str = "spark.dynamicAllocation.shuffleTracking.enabled";
const SHUFFLE_SERVICE: &str = "spark.shuffle.service.enabled";

impl MemorySettings {
    /// The settings of a new job or group.
    pub fn parse(form: &MemorySettingsForm) -> Result<Self> {
        Self::default().updated(form)
    }

    /// These settings with the form's given fields replacing theirs (an empty one clears
    /// it), checked as a whole.
    pub fn updated(&self, form: &MemorySettingsForm) -> Result<Self> {
        let mut next = self.clone();
        set(&mut next.driver_memory, "driverMemory", &form.driver_memory, parse_memory)?;
        set(&mut next.executor_memory, "executorMemory", &form.executor_memory, parse_memory)?;
        set(&mut next.driver_cores, "driverCores", &form.driver_cores, parse_positive)?;
        set(&mut next.executor_cores, "executorCores", &form.executor_cores, parse_positive)?;
        set(&mut next.executors, "executors", &form.executors, parse_positive)?;
        set(&mut next.dynamic_allocation, "dynamicAllocation", &form.dynamic_allocation, parse_bool)?;
        set(&mut next.initial_executors, "initialExecutors", &form.initial_executors, parse_count)?;
        set(&mut next.min_executors, "minExecutors", &form.min_executors, parse_count)?;
        set(&mut next.max_executors, "maxExecutors", &form.max_executors, parse_count)?;
        next.check_bounds()?;
        Ok(next)
    }

    fn check_bounds(&self) -> Result<()> {
        if let (Some(min), Some(max)) = (self.min_executors, self.max_executors)
            && min > max
        {
            return Err(EngineError::invalid("minExecutors", format!("minExecutors ({min}) is above maxExecutors ({max})")));
        }
        if let Some(initial) = self.initial_executors {
            let min = self.min_executors.unwrap_or(0);
            if initial < min || self.max_executors.is_some_and(|max| initial > max) {
                let max = self.max_executors.map_or("no limit".to_string(), |m| m.to_string());
                return Err(EngineError::invalid(
                    "initialExecutors",
                    format!("{initial} is outside minExecutors..maxExecutors ({min}..{max})"),
                ));
            }
        }
        Ok(())
    }

    /// Each set field with the Spark property it stands for and that property's value.
    pub fn properties(&self) -> Vec<(&'static str, &'static str, String)> {
        let count = |v: Option<u32>| v.map(|n| n.to_string());
        [
            ("driverMemory", "spark.driver.memory", self.driver_memory.clone()),
            ("executorMemory", "spark.executor.memory", self.executor_memory.clone()),
            ("driverCores", "spark.driver.cores", count(self.driver_cores)),
            ("executorCores", "spark.executor.cores", count(self.executor_cores)),
            ("executors", "spark.executor.instances", count(self.executors)),
            ("dynamicAllocation", DYNAMIC_ALLOCATION, self.dynamic_allocation.map(|b| b.to_string())),
            ("initialExecutors", "spark.dynamicAllocation.initialExecutors", count(self.initial_executors)),
            ("minExecutors", "spark.dynamicAllocation.minExecutors", count(self.min_executors)),
            ("maxExecutors", "spark.dynamicAllocation.maxExecutors", count(self.max_executors)),
        ]
        .into_iter()
        .filter_map(|(field, key, value)| value.map(|v| (field, key, v)))
        .collect()
    }

    /// Refuses a `jobConfig` that sets one of these properties to another value: which
    /// one was meant cannot be told.
    pub fn check_config(&self, config: &BTreeMap<String, String>) -> Result<()> {
        for (field, key, value) in self.properties() {
            if let Some(given) = config.get(key)
                && !given.trim().eq_ignore_ascii_case(&value)
            {
                return Err(EngineError::invalid(
                    field,
                    format!("{field} is '{value}' but jobConfig sets {key}={given}; give it in one of them"),
                ));
            }
        }
        Ok(())
    }

    /// Puts these settings into a driver's Spark conf. Dynamic allocation without an
    /// external shuffle service needs shuffle tracking, or Spark refuses to start.
    pub fn apply_to(&self, conf: &mut BTreeMap<String, String>) {
        for (_, key, value) in self.properties() {
            conf.insert(key.to_string(), value);
        }
        let shuffle_service = conf.get(SHUFFLE_SERVICE).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if self.dynamic_allocation == Some(true) && !shuffle_service {
            conf.entry(SHUFFLE_TRACKING.to_string()).or_insert_with(|| "true".to_string());
        }
    }
}

fn set<T>(slot: &mut Option<T>, field: &str, given: &Option<String>, parse: fn(&str, &str) -> Result<T>) -> Result<()> {
    if let Some(text) = given {
        let text = text.trim();
        *slot = if text.is_empty() { None } else { Some(parse(field, text)?) };
    }
    Ok(())
}

/// A JVM memory size: a whole number with a `k`, `m`, `g` or `t` suffix (`512m`, `4g`).
fn parse_memory(field: &str, text: &str) -> Result<String> {
    let bad = || EngineError::invalid(field, format!("'{text}' is not a JVM memory size such as 512m, 4g, 1t or 100k"));
    let lower = text.to_ascii_lowercase();
    let digits = lower.strip_suffix(['k', 'm', 'g', 't']).ok_or_else(bad)?;
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.bytes().all(|b| b == b'0') {
        return Err(bad());
    }
    Ok(lower)
}

fn parse_positive(field: &str, text: &str) -> Result<u32> {
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(EngineError::invalid(field, format!("'{text}' is not a whole number from 1 up"))),
    }
}

fn parse_count(field: &str, text: &str) -> Result<u32> {
    text.parse::<u32>().map_err(|_| EngineError::invalid(field, format!("'{text}' is not a whole number from 0 up")))
}

fn parse_bool(field: &str, text: &str) -> Result<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(EngineError::invalid(field, format!("'{text}' is not true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Form fields as (name, value).
    type Fields<'a> = &'a [(&'a str, &'a str)];

    fn form(fields: Fields) -> MemorySettingsForm {
        let mut form = MemorySettingsForm::default();
        for (name, value) in fields {
            *form.field_mut(name).unwrap() = Some(value.to_string());
        }
        form
    }

    #[test]
    fn good_settings_parse_to_their_values() {
        let cases: &[(Fields, MemorySettings)] = &[
            (&[], MemorySettings::default()),
            (&[("driverMemory", "1g"), ("executorMemory", "512M")], MemorySettings {
                driver_memory: Some("1g".into()),
                executor_memory: Some("512m".into()),
                ..Default::default()
            }),
            (&[("driverMemory", " 100k "), ("executorMemory", "1t")], MemorySettings {
                driver_memory: Some("100k".into()),
                executor_memory: Some("1t".into()),
                ..Default::default()
            }),
            (&[("driverCores", "2"), ("executorCores", "4"), ("executors", "3")], MemorySettings {
                driver_cores: Some(2),
                executor_cores: Some(4),
                executors: Some(3),
                ..Default::default()
            }),
            (
                &[("dynamicAllocation", "TRUE"), ("initialExecutors", "1"), ("minExecutors", "0"), ("maxExecutors", "4")],
                MemorySettings {
                    dynamic_allocation: Some(true),
                    initial_executors: Some(1),
                    min_executors: Some(0),
                    max_executors: Some(4),
                    ..Default::default()
                },
            ),
            (&[("minExecutors", "2"), ("maxExecutors", "2"), ("initialExecutors", "2")], MemorySettings {
                initial_executors: Some(2),
                min_executors: Some(2),
                max_executors: Some(2),
                ..Default::default()
            }),
            (&[("driverMemory", ""), ("dynamicAllocation", "false")], MemorySettings { dynamic_allocation: Some(false), ..Default::default() }),
        ];
        for (fields, expected) in cases {
            assert_eq!(&MemorySettings::parse(&form(fields)).unwrap(), expected, "{fields:?}");
        }
    }

    #[test]
    fn bad_settings_name_their_field() {
        let cases: &[(Fields, &str, &str)] = &[
            (&[("driverMemory", "4")], "driverMemory", "JVM memory size"),
            (&[("driverMemory", "4gb")], "driverMemory", "'4gb'"),
            (&[("driverMemory", "1.5g")], "driverMemory", "JVM memory size"),
            (&[("executorMemory", "g")], "executorMemory", "JVM memory size"),
            (&[("executorMemory", "0m")], "executorMemory", "JVM memory size"),
            (&[("executorMemory", "-1g")], "executorMemory", "JVM memory size"),
            (&[("executorMemory", "99999999999999g")], "executorMemory", "JVM memory size"),
            (&[("driverCores", "0")], "driverCores", "from 1 up"),
            (&[("executorCores", "-2")], "executorCores", "from 1 up"),
            (&[("executors", "two")], "executors", "from 1 up"),
            (&[("dynamicAllocation", "yes")], "dynamicAllocation", "true or false"),
            (&[("initialExecutors", "-1")], "initialExecutors", "from 0 up"),
            (&[("minExecutors", "x")], "minExecutors", "from 0 up"),
            (&[("maxExecutors", "1.0")], "maxExecutors", "from 0 up"),
            (&[("minExecutors", "3"), ("maxExecutors", "2")], "minExecutors", "maxExecutors (2)"),
            (&[("minExecutors", "1"), ("initialExecutors", "0")], "initialExecutors", "outside"),
            (&[("maxExecutors", "2"), ("initialExecutors", "3")], "initialExecutors", "outside"),
        ];
        for (fields, field, message) in cases {
            let error = MemorySettings::parse(&form(fields)).unwrap_err();
            assert_eq!(error.field(), Some(*field), "{fields:?}");
            assert!(error.to_string().contains(message), "{fields:?}: {error}");
        }
    }

    #[test]
    fn an_update_replaces_given_fields_and_checks_the_whole() {
        let stored = MemorySettings::parse(&form(&[("driverMemory", "1g"), ("maxExecutors", "4")])).unwrap();
        let updated = stored.updated(&form(&[("driverMemory", ""), ("executors", "2")])).unwrap();
        assert_eq!(updated, MemorySettings { executors: Some(2), max_executors: Some(4), ..Default::default() });
        assert_eq!(stored.updated(&form(&[("minExecutors", "5")])).unwrap_err().field(), Some("minExecutors"));
    }

    #[test]
    fn settings_become_spark_properties_with_shuffle_tracking_when_needed() {
        let settings = MemorySettings::parse(&form(&[
            ("driverMemory", "1g"),
            ("executorMemory", "2g"),
            ("driverCores", "1"),
            ("executorCores", "2"),
            ("executors", "3"),
            ("dynamicAllocation", "true"),
            ("initialExecutors", "1"),
            ("minExecutors", "1"),
            ("maxExecutors", "5"),
        ]))
        .unwrap();
        let mut conf = BTreeMap::new();
        settings.apply_to(&mut conf);
        let expected: BTreeMap<String, String> = [
            ("spark.driver.memory", "1g"),
            ("spark.executor.memory", "2g"),
            ("spark.driver.cores", "1"),
            ("spark.executor.cores", "2"),
            ("spark.executor.instances", "3"),
            ("spark.dynamicAllocation.enabled", "true"),
            ("spark.dynamicAllocation.initialExecutors", "1"),
            ("spark.dynamicAllocation.minExecutors", "1"),
            ("spark.dynamicAllocation.maxExecutors", "5"),
            ("spark.dynamicAllocation.shuffleTracking.enabled", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(conf, expected);

        let mut with_service = BTreeMap::from([(SHUFFLE_SERVICE.to_string(), "true".to_string())]);
        settings.apply_to(&mut with_service);
        assert!(!with_service.contains_key(SHUFFLE_TRACKING), "an external shuffle service needs no tracking");
        let mut off = BTreeMap::new();
        MemorySettings { dynamic_allocation: Some(false), ..Default::default() }.apply_to(&mut off);
        assert_eq!(off, BTreeMap::from([(DYNAMIC_ALLOCATION.to_string(), "false".to_string())]));
    }

    #[test]
    fn a_job_config_that_says_otherwise_is_refused_naming_both() {
        let settings = MemorySettings::parse(&form(&[("driverMemory", "1g"), ("dynamicAllocation", "true")])).unwrap();
        let config = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert!(settings.check_config(&config("spark.driver.memory", "1G")).is_ok(), "the same value in both");
        assert!(settings.check_config(&config("spark.executor.memory", "8g")).is_ok(), "another property");
        let error = settings.check_config(&config("spark.driver.memory", "2g")).unwrap_err();
        assert_eq!(error.field(), Some("driverMemory"));
        assert!(error.to_string().contains("jobConfig sets spark.driver.memory=2g"), "{error}");
        let error = settings.check_config(&config("spark.dynamicAllocation.enabled", "false")).unwrap_err();
        assert_eq!(error.field(), Some("dynamicAllocation"));
    }

    #[test]
    fn the_view_leaves_unset_fields_out() {
        let settings = MemorySettings { driver_memory: Some("1g".into()), executors: Some(2), dynamic_allocation: Some(false), ..Default::default() };
        let json = serde_json::to_value(&settings).unwrap();
        assert_eq!(json, serde_json::json!({"driverMemory": "1g", "executors": 2, "dynamicAllocation": false}));
        assert_eq!(serde_json::from_value::<MemorySettings>(json).unwrap(), settings);
    }
}
