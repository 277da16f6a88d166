//! Issue #16: on PostgreSQL, each instance listens for the jobs other instances queue (a webhook or a poll that
//! reached another instance) and wakes its drain thread of that store at once, instead of at its next idle look
//! (`poll.drain_idle_ms`). Only the instance holding the store's drain lease then sends; the others' drain threads
//! find the lease taken, as before.

use super::config::ServiceConfig;
use super::receiver::Cell;
use super::run::Stop;
use crate::store::db::postgres::wake::{channel_of, listen};
use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;

/// The listener thread of an instance whose stores are on PostgreSQL; `None` otherwise.
pub(super) fn spawn_listener(
    config: &ServiceConfig,
    cells: &HashMap<String, Arc<Cell>>,
    stop: Arc<Stop>,
) -> Option<JoinHandle<()>> {
    let url = config.database.clone()?;
    let by_channel: HashMap<String, Arc<Cell>> = cells
        .iter()
        .filter_map(|(id, cell)| Some((channel_of(&config.store_location(id))?, cell.clone())))
        .collect();
    if by_channel.is_empty() {
        return None;
    }
    let channels: Vec<String> = by_channel.keys().cloned().collect();
    Some(std::thread::spawn(move || {
        listen(
            &url,
            &channels,
            &mut |channel| {
                if let Some(cell) = by_channel.get(channel) {
                    cell.wake();
                }
            },
            &|wait| stop.wait(wait),
        );
    }))
}
