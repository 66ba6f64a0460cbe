//! Whole-cycle results kept while nothing is written: the coach's review of a cycle and the
//! alignment review read every objective, key result and KPI of the cycle (0.2–0.7 s on the
//! large demo), and people open those pages again and again between writes.
//!
//! Each result is labelled with the change token read *before* it was built, so a write that
//! lands while it is being built makes the label older than the content and the next request
//! builds again: a result is never older than the last write committed before its request
//! asked. One result is built at a time; requests that arrive meanwhile wait for it and take
//! it when their token matches, instead of each building their own after a write.

use crate::{App, AppResult};
use chrono::NaiveDate;
use std::sync::{Arc, Mutex};

/// Results kept per kind: the latest few cycles asked for (a whole cycle's review of the
/// large demo is about 7 MB).
const KEPT: usize = 2;

pub(crate) struct Kept<T> {
    entries: Mutex<Vec<Entry<T>>>,
    building: tokio::sync::Mutex<()>,
}

struct Entry<T> {
    key: String,
    token: String,
    day: NaiveDate,
    value: Arc<T>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept { entries: Mutex::new(Vec::new()), building: tokio::sync::Mutex::new(()) }
    }
}

impl<T> Kept<T> {
    /// The result for `key` as of now: kept if nothing was written since (and the day is the
    /// same: "stale" and "too early" move with the calendar), built by `build` otherwise.
    pub(crate) async fn get_or_build<Fut>(
        &self,
        app: &App,
        key: String,
        build: impl FnOnce() -> Fut,
    ) -> AppResult<Arc<T>>
    where
        Fut: std::future::Future<Output = AppResult<T>>,
    {
        let token = app.change_token().await?;
        let day = app.today();
        if let Some(v) = self.find(&key, &token, day) {
            return Ok(v);
        }
        let _turn = self.building.lock().await;
        if let Some(v) = self.find(&key, &token, day) {
            return Ok(v);
        }
        let value = Arc::new(build().await?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| e.key != key);
        entries.insert(0, Entry { key, token, day, value: value.clone() });
        entries.truncate(KEPT);
        Ok(value)
    }

    fn find(&self, key: &str, token: &str, day: NaiveDate) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().find(|e| e.key == key && e.token == token && e.day == day).map(|e| e.value.clone())
    }
}
