//! Query strings: repeated keys (`jobStates=A&jobStates=B`) and comma lists
//! (`jobStates=A,B`) both work; numbers are parsed here so a bad one is a 409 naming it.

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use serde::Deserialize;
use sparkdeck_engine::EngineError;
use sparkdeck_engine::model::paging::PageRequest;

use crate::error::ApiError;

/// Every query parameter a list call takes, as raw text.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ListQuery {
    pub(crate) search: Option<String>,
    pub(crate) page: Option<String>,
    pub(crate) size: Option<String>,
    pub(crate) sort: Vec<String>,
    pub(crate) force: Option<String>,
    pub(crate) job_ids: Vec<String>,
    pub(crate) schedule_ids: Vec<String>,
    pub(crate) schedule_states: Vec<String>,
    pub(crate) schedule_crons: Vec<String>,
    pub(crate) group_states: Vec<String>,
    pub(crate) group_kinds: Vec<String>,
    pub(crate) group_names: Vec<String>,
    pub(crate) group_ids: Vec<String>,
    pub(crate) job_types: Vec<String>,
    pub(crate) job_states: Vec<String>,
    pub(crate) cluster_names: Vec<String>,
    pub(crate) tags: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) log_size: Option<String>,
    pub(crate) log: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state).await.unwrap_or(RawQuery(None));
        serde_html_form::from_str(raw.as_deref().unwrap_or(""))
            .map_err(|e| ApiError(EngineError::invalid("query", e.to_string())))
    }
}

fn int(field: &str, value: &Option<String>) -> Result<Option<i64>, EngineError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| EngineError::invalid(field, format!("'{v}' is not a whole number"))),
    }
}

impl ListQuery {
    pub(crate) fn int(&self, field: &str, value: &Option<String>) -> Result<Option<i64>, EngineError> {
        int(field, value)
    }

    pub(crate) fn page_request(&self) -> Result<PageRequest, EngineError> {
        PageRequest::from_query(int("page", &self.page)?, int("size", &self.size)?, &self.sort)
    }

    pub(crate) fn search(&self) -> Option<String> {
        self.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    }

    pub(crate) fn force(&self) -> Result<bool, EngineError> {
        match self.force.as_deref().map(str::trim) {
            None | Some("") | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(EngineError::invalid("force", format!("'{other}' is not true or false"))),
        }
    }
}

/// Splits repeated and comma-separated values into one list.
pub(crate) fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}
