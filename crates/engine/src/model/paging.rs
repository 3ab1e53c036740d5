//! Paging and sorting as the API defines them (Spring Data's shape): `page` from 0,
//! `size` (default 10), repeatable `sort=field,asc|desc`.

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

pub const DEFAULT_SIZE: u32 = 10;
/// Larger requests are clamped, as Spring Data does, rather than refused.
pub const MAX_SIZE: u32 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SortOrder {
    pub field: String,
    pub direction: Direction,
}

impl SortOrder {
    /// Parses `field`, `field,asc` or `field,desc` (direction case-insensitive).
    pub fn parse(input: &str) -> Result<Self> {
        let mut parts = input.split(',').map(str::trim);
        let field = parts.next().unwrap_or_default();
        if field.is_empty() {
            return Err(EngineError::invalid("sort", format!("'{input}' has no field name")));
        }
        let direction = match parts.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => Direction::Asc,
            Some("desc") => Direction::Desc,
            Some(other) => {
                return Err(EngineError::invalid(
                    "sort",
                    format!("'{other}' is not a direction (use asc or desc)"),
                ));
            }
        };
        if parts.next().is_some() {
            return Err(EngineError::invalid("sort", format!("'{input}' is not field,asc|desc")));
        }
        Ok(Self { field: field.to_string(), direction })
    }
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PageRequest {
    pub page: u32,
    pub size: u32,
    pub sort: Vec<SortOrder>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 0, size: DEFAULT_SIZE, sort: Vec::new() }
    }
}

impl PageRequest {
    /// Builds a request from raw query values, naming the field of the first bad one.
    pub fn from_query(page: Option<i64>, size: Option<i64>, sort: &[String]) -> Result<Self> {
        let page = match page {
            None => 0,
            Some(p) => u32::try_from(p)
                .map_err(|_| EngineError::invalid("page", format!("{p} is not a page number (0 or more)")))?,
        };
        let size = match size {
            None => DEFAULT_SIZE,
            Some(s) if s < 1 => {
                return Err(EngineError::invalid("size", format!("{s} is not a page size (1 or more)")));
            }
            Some(s) => u32::try_from(s.min(i64::from(MAX_SIZE))).unwrap_or(MAX_SIZE),
        };
        let sort = sort
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| SortOrder::parse(s))
            .collect::<Result<_>>()?;
        Ok(Self { page, size: size.min(MAX_SIZE), sort })
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page) * u64::from(self.size)
    }

    /// An SQL `ORDER BY` clause from the whitelist `allowed` (API name → column).
    /// `tiebreak` (a unique column) keeps pages stable. Unknown fields are refused with the
    /// list of allowed ones, so no user text ever reaches the SQL.
    pub fn order_by(&self, allowed: &[(&str, &str)], default: &str, tiebreak: &str) -> Result<String> {
        let mut terms = Vec::with_capacity(self.sort.len() + 1);
        for order in &self.sort {
            let Some((_, column)) = allowed.iter().find(|(name, _)| *name == order.field) else {
                let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
                return Err(EngineError::invalid(
                    "sort",
                    format!("cannot sort by '{}'; sortable fields: {}", order.field, names.join(", ")),
                ));
            };
            let dir = match order.direction {
                Direction::Asc => "ASC",
                Direction::Desc => "DESC",
            };
            terms.push(format!("{column} {dir}"));
        }
        if terms.is_empty() {
            terms.push(default.to_string());
        }
        terms.push(format!("{tiebreak} ASC"));
        Ok(format!("ORDER BY {}", terms.join(", ")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PageInfo {
    pub number: u32,
    pub size: u32,
    pub offset: u64,
    pub paged: bool,
}

/// One page of results in the API's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub page: PageInfo,
    pub sort: Vec<String>,
    pub total_elements: u64,
    pub total_pages: u64,
    pub first: bool,
    pub last: bool,
    pub empty: bool,
    pub content: Vec<T>,
}

impl<T> Page<T> {
    pub fn new(request: &PageRequest, total_elements: u64, content: Vec<T>) -> Self {
        let size = u64::from(request.size.max(1));
        let total_pages = total_elements.div_ceil(size);
        let number = request.page;
        Self {
            page: PageInfo { number, size: request.size, offset: request.offset(), paged: true },
            sort: request
                .sort
                .iter()
                .map(|s| format!("{},{}", s.field, if s.direction == Direction::Asc { "asc" } else { "desc" }))
                .collect(),
            total_elements,
            total_pages,
            first: number == 0,
            last: u64::from(number) + 1 >= total_pages,
            empty: content.is_empty(),
            content,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            page: self.page,
            sort: self.sort,
            total_elements: self.total_elements,
            total_pages: self.total_pages,
            first: self.first,
            last: self.last,
            empty: self.empty,
            content: self.content.into_iter().map(f).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[(&str, &str)] = &[("name", "name"), ("createdTime", "created_time")];

    #[test]
    fn defaults_and_clamping() {
        let r = PageRequest::from_query(None, None, &[]).unwrap();
        assert_eq!((r.page, r.size), (0, DEFAULT_SIZE));
        let r = PageRequest::from_query(Some(2), Some(1_000_000), &[]).unwrap();
        assert_eq!((r.page, r.size, r.offset()), (2, MAX_SIZE, 4000));
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(PageRequest::from_query(Some(-1), None, &[]).unwrap_err().field(), Some("page"));
        assert_eq!(PageRequest::from_query(None, Some(0), &[]).unwrap_err().field(), Some("size"));
        let e = PageRequest::from_query(None, None, &["name,sideways".into()]).unwrap_err();
        assert_eq!(e.field(), Some("sort"));
    }

    #[test]
    fn order_by_uses_whitelist_and_lists_allowed_fields() {
        let r = PageRequest::from_query(None, None, &["createdTime,DESC".into(), "name".into()]).unwrap();
        assert_eq!(r.order_by(ALLOWED, "name ASC", "id").unwrap(), "ORDER BY created_time DESC, name ASC, id ASC");
        let r = PageRequest::from_query(None, None, &["name; DROP TABLE x".into()]).unwrap();
        let e = r.order_by(ALLOWED, "name ASC", "id").unwrap_err().to_string();
        assert!(e.contains("sortable fields: name, createdTime"), "{e}");
    }

    #[test]
    fn page_metadata() {
        let r = PageRequest { page: 1, size: 10, sort: vec![] };
        let p = Page::new(&r, 25, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!((p.total_pages, p.first, p.last, p.empty), (3, false, false, false));
        let p = Page::<u8>::new(&PageRequest { page: 2, size: 10, sort: vec![] }, 25, vec![1; 5]);
        assert!(p.last);
        let p = Page::<u8>::new(&PageRequest::default(), 0, vec![]);
        assert!(p.first && p.last && p.empty && p.total_pages == 0);
    }
}
