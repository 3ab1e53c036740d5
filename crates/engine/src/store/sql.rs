//! The SQL every list shares: a filter builder whose conditions can be pushed into more
//! than one query (the count and the page read the same WHERE), the `LIKE` escape, the tag
//! match, the page fetch, and the row/JSON helpers that turn a corrupt row into an error.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::error::{EngineError, Result};
use crate::model::paging::PageRequest;

/// A piece of a condition: SQL text, or a value bound in its place.
#[derive(Debug, Clone)]
enum Piece<'a> {
    Sql(String),
    Text(&'a str),
    Owned(String),
}

/// Conditions joined by `AND`, plus the tag match (pushed as joins). Kept as pieces rather
/// than pushed into a `QueryBuilder` so one filter serves the count and the page.
#[derive(Clone, Default)]
pub(crate) struct Filter<'a> {
    /// `column IN (…)` lists, apart: with a tag match, mirrored ones move onto the tag rows.
    lists: Vec<(&'static str, Vec<&'a str>)>,
    /// Every other condition, each a run of pieces.
    conditions: Vec<Vec<Piece<'a>>>,
    tags: Option<(&'static TagTable, &'a BTreeMap<String, String>)>,
}

impl<'a> Filter<'a> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn condition(&mut self, pieces: Vec<Piece<'a>>) -> &mut Self {
        self.conditions.push(pieces);
        self
    }

    /// A condition with no values (our own SQL, never user input).
    pub(crate) fn raw(&mut self, sql: &'static str) -> &mut Self {
        self.condition(vec![Piece::Sql(sql.into())])
    }

    pub(crate) fn eq(&mut self, column: &'static str, value: &'a str) -> &mut Self {
        self.condition(vec![Piece::Sql(format!("{column} = ")), Piece::Text(value)])
    }

    /// `column IN (…)`; an empty list matches everything.
    pub(crate) fn any_of<T>(&mut self, column: &'static str, values: &'a [T], text: impl Fn(&'a T) -> &'a str) -> &mut Self {
        if !values.is_empty() {
            self.lists.push((column, values.iter().map(text).collect()));
        }
        self
    }

    /// `column IN (select WHERE inner)`: a match on rows of another table.
    pub(crate) fn in_select(&mut self, column: &'static str, select: &'static str, inner: Filter<'a>) -> &mut Self {
        debug_assert!(inner.tags.is_none(), "a nested filter has no tag match");
        let mut pieces = vec![Piece::Sql(format!("{column} IN ({select}"))];
        let conditions = inner.where_pieces(&[]);
        if !conditions.is_empty() {
            pieces.push(Piece::Sql(" WHERE ".into()));
            pieces.extend(conditions);
        }
        pieces.push(Piece::Sql(")".into()));
        self.condition(pieces)
    }

    /// Any of `columns` contains `word` (case-insensitively for ASCII, as `LIKE` does);
    /// no word matches everything.
    pub(crate) fn search(&mut self, columns: &[&'static str], word: Option<&str>) -> &mut Self {
        let Some(word) = word else {
            return self;
        };
        let pattern = like_pattern(word);
        let mut pieces = vec![Piece::Sql("(".into())];
        for (i, column) in columns.iter().enumerate() {
            let or = if i == 0 { "" } else { " OR " };
            pieces.push(Piece::Sql(format!("{or}{column} LIKE ")));
            pieces.push(Piece::Owned(pattern.clone()));
            pieces.push(Piece::Sql(" ESCAPE '\\'".into()));
        }
        pieces.push(Piece::Sql(")".into()));
        self.condition(pieces)
    }

    /// Every given `key=value` pair is among the record's tags (none given: no condition).
    pub(crate) fn tags(&mut self, table: &'static TagTable, tags: Option<&'a BTreeMap<String, String>>) -> &mut Self {
        self.tags = tags.filter(|t| !t.is_empty()).map(|t| (table, t));
        self
    }

    /// Writes the tag joins and ` WHERE …` (nothing when there are no conditions) into
    /// `q`, after its `FROM table`.
    pub(crate) fn push_to<'q>(&self, q: &mut QueryBuilder<'q, Sqlite>)
    where
        'a: 'q,
    {
        let moved = self.tags.map_or(&[][..], |(table, _)| table.mirrors);
        push_pieces(q, &self.tag_joins());
        let conditions = self.where_pieces(moved);
        if !conditions.is_empty() {
            q.push(" WHERE ");
            push_pieces(q, &conditions);
        }
    }

    /// The conditions joined by `AND`, leaving out the lists on `moved` columns.
    fn where_pieces(&self, moved: &[(&str, &str)]) -> Vec<Piece<'a>> {
        let lists = self.lists.iter().filter(|(column, _)| !moved.iter().any(|(c, _)| c == column));
        let lists = lists.map(|(column, values)| list(column, values));
        let mut pieces = Vec::new();
        for (i, condition) in lists.chain(self.conditions.iter().cloned()).enumerate() {
            if i > 0 {
                pieces.push(Piece::Sql(" AND ".into()));
            }
            pieces.extend(condition);
        }
        pieces
    }

    /// One join per pair rather than `id IN (…)`, so the planner can start from whichever
    /// side is rarer. The lists on mirrored columns are checked on every tag row instead
    /// of the record, so the tag index alone narrows the rows. No row is repeated: a
    /// record has at most one row per key.
    fn tag_joins(&self) -> Vec<Piece<'a>> {
        let mut joins = Vec::new();
        let Some((table, tags)) = self.tags else {
            return joins;
        };
        for (i, (key, value)) in tags.iter().enumerate() {
            let t = format!("{}{i}", table.alias);
            joins.push(Piece::Sql(format!(" JOIN {} {t} ON {t}.{} = {}.id AND {t}.key = ", table.table, table.owner, table.owner_table)));
            joins.push(Piece::Text(key));
            joins.push(Piece::Sql(format!(" AND {t}.value = ")));
            joins.push(Piece::Text(value));
            for (column, values) in &self.lists {
                if let Some((_, mirror)) = table.mirrors.iter().find(|(c, _)| c == column) {
                    joins.push(Piece::Sql(" AND ".into()));
                    joins.extend(list(&format!("{t}.{mirror}"), values));
                }
            }
        }
        joins
    }
}

/// `column IN (?, ?, …)` for a non-empty list.
fn list<'a>(column: &str, values: &[&'a str]) -> Vec<Piece<'a>> {
    let mut pieces = vec![Piece::Sql(format!("{column} IN ("))];
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            pieces.push(Piece::Sql(", ".into()));
        }
        pieces.push(Piece::Text(value));
    }
    pieces.push(Piece::Sql(")".into()));
    pieces
}

fn push_pieces<'q>(q: &mut QueryBuilder<'q, Sqlite>, pieces: &[Piece<'q>]) {
    for piece in pieces {
        match piece {
            Piece::Sql(sql) => q.push(sql),
            Piece::Text(value) => q.push_bind(*value),
            Piece::Owned(value) => q.push_bind(value.clone()),
        };
    }
}

/// `LIKE` pattern for "contains `word`", with the wildcards and the escape in it escaped
/// (used with `ESCAPE '\'`).
pub(crate) fn like_pattern(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Where one kind of record keeps its tags: one row per pair, primary key (owner, key),
/// indexed on (key, value, …). Its columns must not clash with the owner table's, whose
/// conditions and sorts stay unqualified.
pub(crate) struct TagTable {
    table: &'static str,
    owner: &'static str,
    owner_table: &'static str,
    alias: &'static str,
    /// Owner column → its copy on every tag row (kept in step by a trigger).
    mirrors: &'static [(&'static str, &'static str)],
    delete: &'static str,
    /// Binds owner id, key, value; copies the mirrored columns from the owner row.
    insert: &'static str,
}

pub(crate) const JOB_TAGS: TagTable = TagTable {
    table: "job_tags",
    owner: "job_id",
    owner_table: "jobs",
    alias: "jt",
    mirrors: &[("state", "mirror_state"), ("cluster_name", "mirror_cluster_name"), ("job_type", "mirror_job_type")],
    delete: "DELETE FROM job_tags WHERE job_id = ?",
    insert: "INSERT INTO job_tags (job_id, key, value, mirror_state, mirror_cluster_name, mirror_job_type)
             SELECT id, ?2, ?3, state, cluster_name, job_type FROM jobs WHERE id = ?1",
};

pub(crate) const GROUP_TAGS: TagTable = TagTable {
    table: "group_tags",
    owner: "group_id",
    owner_table: "groups",
    alias: "gt",
    mirrors: &[],
    delete: "DELETE FROM group_tags WHERE group_id = ?",
    insert: "INSERT INTO group_tags (group_id, key, value) SELECT id, ?2, ?3 FROM groups WHERE id = ?1",
};

pub(crate) const SCHEDULE_TAGS: TagTable = TagTable {
    table: "schedule_tags",
    owner: "schedule_id",
    owner_table: "schedules",
    alias: "st",
    mirrors: &[],
    delete: "DELETE FROM schedule_tags WHERE schedule_id = ?",
    insert: "INSERT INTO schedule_tags (schedule_id, key, value) SELECT id, ?2, ?3 FROM schedules WHERE id = ?1",
};

impl TagTable {
    /// Makes the tag rows of `id` exactly `tags`. Call it after writing the owner row, in
    /// the same transaction, so the rows never disagree with its `tags` column.
    pub(crate) async fn replace(&self, conn: &mut SqliteConnection, id: &str, tags: &BTreeMap<String, String>) -> Result<()> {
        sqlx::query(self.delete).bind(id).execute(&mut *conn).await?;
        for (key, value) in tags {
            let done = sqlx::query(self.insert).bind(id).bind(key).bind(value).execute(&mut *conn).await?;
            if done.rows_affected() != 1 {
                return Err(EngineError::Conflict(format!("tags of '{id}' written before the record itself")));
            }
        }
        Ok(())
    }
}

/// A paged list: its table, the API sort fields it allows (→ column) and its default order.
pub(crate) struct Listing {
    pub(crate) table: &'static str,
    pub(crate) sortable: &'static [(&'static str, &'static str)],
    pub(crate) default_order: &'static str,
}

impl Listing {
    /// The number of rows `filter` matches and the requested page of them, sorted by the
    /// whitelisted fields (then by id, so pages never overlap).
    pub(crate) async fn page<T>(
        &self,
        pool: &SqlitePool,
        filter: &Filter<'_>,
        page: &PageRequest,
        decode: fn(&SqliteRow) -> Result<T>,
    ) -> Result<(u64, Vec<T>)> {
        let order = page.order_by(self.sortable, self.default_order, "id")?;
        let mut count = QueryBuilder::<Sqlite>::new(format!("SELECT COUNT(*) FROM {}", self.table));
        filter.push_to(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
        let mut select = QueryBuilder::<Sqlite>::new(format!("SELECT {0}.* FROM {0}", self.table));
        filter.push_to(&mut select);
        select
            .push(format!(" {order} LIMIT "))
            .push_bind(i64::from(page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
        let rows = select.build().fetch_all(pool).await?;
        Ok((u64::try_from(total).unwrap_or(0), decode_readable(self.table, &rows, decode)))
    }
}

/// The one row `sql` (with a single `?`) selects for `key`, decoded.
pub(crate) async fn fetch_one_by<T>(
    pool: &SqlitePool,
    sql: &str,
    key: &str,
    decode: fn(&SqliteRow) -> Result<T>,
) -> Result<Option<T>> {
    let row = sqlx::query(sql).bind(key).fetch_optional(pool).await?;
    row.as_ref().map(decode).transpose()
}

/// The rows that decode. One that does not (a corrupt row) is reported, naming its table
/// and id, and left out: it must not stop the engine from starting, nor hide the rest of
/// a list.
pub(crate) fn decode_readable<T>(table: &str, rows: &[SqliteRow], decode: fn(&SqliteRow) -> Result<T>) -> Vec<T> {
    rows.iter()
        .filter_map(|row| match decode(row) {
            Ok(value) => Some(value),
            Err(error) => {
                let id: Option<String> = row.try_get("id").ok();
                tracing::error!(table, id = id.as_deref().unwrap_or("?"), %error, "skipping an unreadable row");
                None
            }
        })
        .collect()
}

/// A stored JSON column; unreadable JSON is a corrupt row (`what` names it).
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| EngineError::Conflict(format!("stored {what} is unreadable: {e}")))
}

pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| EngineError::Conflict(format!("{what} cannot be stored: {e}")))
}

/// An integer column that must fit `T` (a count, a scale); out of range is a corrupt row.
pub(crate) fn narrow<T: TryFrom<i64>>(what: &str, value: i64) -> Result<T> {
    T::try_from(value).map_err(|_| EngineError::Conflict(format!("stored {what} {value} is out of range")))
}
