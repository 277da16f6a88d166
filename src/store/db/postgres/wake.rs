//! Issue #16: telling the connector service instance that sends a store's jobs that another instance queued one.
//! A store on PostgreSQL notifies its channel in the transaction that queues a job (delivered at commit, never for
//! a rolled-back one); [`listen`] waits on the channels of every store of an instance. Without it, a webhook that
//! reached an instance other than the sender waited for the sender's next idle look (`drain_idle_ms`).

use super::super::{url_param, DbError};
use super::sql::check_prefix;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Config, NoTls};
use std::time::Duration;

/// The channel a store's queued jobs are announced on: `{prefix}jobs`, lower case as PostgreSQL folds it.
pub fn channel(prefix: &str) -> String {
    format!("{}jobs", prefix.to_ascii_lowercase())
}

/// The channel of the store at `location` (`postgres://…?prefix=mlc_s001_`); `None` for another backend.
pub fn channel_of(location: &str) -> Option<String> {
    if !(location.starts_with("postgres://") || location.starts_with("postgresql://")) {
        return None;
    }
    let prefix = url_param(location, "prefix").unwrap_or_default();
    check_prefix(&prefix).ok().map(|()| channel(&prefix))
}

/// How long one wait for a notification lasts before `stop` is asked again.
const TURN: Duration = Duration::from_secs(1);
/// The pause before connecting again after the connection failed.
const RETRY: Duration = Duration::from_secs(5);

/// Listens on `channels` of the database at `url` (a store location; its own parameters are left out) and calls
/// `woken` with the channel of each notification, until `stop(wait)` (which may wait up to `wait`) says to stop.
/// A lost connection is opened again after [`RETRY`]; notifications sent meanwhile are lost, which costs only the
/// sender's next idle look.
pub fn listen(
    url: &str,
    channels: &[String],
    woken: &mut dyn FnMut(&str),
    stop: &dyn Fn(Duration) -> bool,
) {
    loop {
        match session(url, channels, woken, stop) {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, "listening for jobs queued by other instances failed; trying again");
                if stop(RETRY) {
                    return;
                }
            }
        }
    }
}

fn session(
    url: &str,
    channels: &[String],
    woken: &mut dyn FnMut(&str),
    stop: &dyn Fn(Duration) -> bool,
) -> Result<(), DbError> {
    let plain = ["prefix", "pool_size"]
        .iter()
        .fold(url.to_owned(), |u, p| super::super::strip_param(&u, p));
    let mut config: Config = plain.parse()?;
    config.connect_timeout(RETRY);
    config.application_name("ml-connector listen");
    let mut client = config.connect(NoTls)?;
    for c in channels {
        // Channel names come from checked prefixes (letters, digits, `_`); quoted as identifiers all the same.
        client.batch_execute(&format!("LISTEN \"{}\"", c.replace('"', "\"\"")))?;
    }
    while !stop(Duration::ZERO) {
        {
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(TURN);
            while let Some(n) = waiting.next()? {
                woken(n.channel());
                if stop(Duration::ZERO) {
                    return Ok(());
                }
            }
        }
        if client.is_closed() {
            return Err(DbError::Setup("the server closed the connection".into()));
        }
    }
    Ok(())
}
