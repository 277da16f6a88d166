//! Where the plugin's queue lives (issue #16): a SQLite file in the data directory (one web server), or the
//! shop's own WordPress database (several web servers behind a load balancer share it), and moving between them.

use super::plugin_settings::PluginSettings;
use super::{db_path, HostError};
use crate::store::db::mysql::{MySqlConfig, MySqlDb};
use crate::store::db::{Db, Val};
use crate::store::{Merged, Moved, Store, StoreOptions, MOVED_FLAG};
use chrono::{DateTime, Utc};
use std::path::Path;

/// The queue's backend, as the settings document chose it.
#[derive(Debug)]
pub enum Storage {
    /// `{data_dir}/ml-connector.sqlite`, and the WordPress database when the plugin passed it (where the file's
    /// queue may have moved: see [`open`]).
    Sqlite(Option<MySqlConfig>),
    /// Tables `{prefix}mlc_*` in the WordPress database.
    WordPress(MySqlConfig),
}

impl Storage {
    /// `sqlite` or `wordpress`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::WordPress(_) => "wordpress",
        }
    }
}

/// The storage a settings document names.
///
/// # Errors
/// [`HostError::Config`] for an unknown storage, or `wordpress` without the database the plugin adds.
pub fn parse_storage(json: &str) -> Result<Storage, HostError> {
    let doc: PluginSettings = serde_json::from_str(json)
        .map_err(|e| HostError::Config(format!("not a settings document: {e}")))?;
    storage_of(&doc, None)
}

/// The storage `doc` names, or `wanted` (`sqlite` / `wordpress`) in its place.
pub(super) fn storage_of(doc: &PluginSettings, wanted: Option<&str>) -> Result<Storage, HostError> {
    match wanted.unwrap_or(doc.storage.as_str()) {
        "" | "sqlite" => Ok(Storage::Sqlite(wordpress_db(doc).ok())),
        "wordpress" => Ok(Storage::WordPress(wordpress_db(doc)?)),
        other => Err(HostError::Config(format!(
            "storage must be sqlite or wordpress, not {:?}",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// The WordPress database the plugin added to the settings document.
fn wordpress_db(doc: &PluginSettings) -> Result<MySqlConfig, HostError> {
    let db = doc.wordpress_db.as_ref().ok_or_else(|| {
        HostError::Config(
            "storage is wordpress but the settings document has no wordpress_db (the plugin adds it)"
                .to_owned(),
        )
    })?;
    if db.name.trim().is_empty() || db.user.trim().is_empty() {
        return Err(HostError::Config(
            "wordpress_db needs the database name and user (DB_NAME, DB_USER)".to_owned(),
        ));
    }
    Ok(MySqlConfig::from_wordpress(
        &db.host,
        &db.name,
        &db.user,
        db.password.expose(),
        &db.prefix,
    ))
}

/// Opens (creating and migrating) the queue of `storage`.
///
/// # Errors
/// Store errors; the WordPress database refusing the connection.
pub fn open(storage: &Storage, data_dir: &Path) -> Result<Store, HostError> {
    let options = StoreOptions::default();
    match storage {
        Storage::Sqlite(wordpress) => {
            let store = Store::open_with(db_path(data_dir), &options)?;
            if store.moved_to()?.is_some() {
                // One process decides for the file, the others then find it emptied.
                let _turn = file_turn(data_dir)?;
                if left_behind(&store, wordpress.as_ref())? {
                    store.discard_moved_keeping(&free_copy_name(data_dir))?;
                }
            }
            Ok(store)
        }
        Storage::WordPress(config) => Ok(Store::open_server(Box::new(connect(config)?), &options)?),
    }
}

fn connect(config: &MySqlConfig) -> Result<MySqlDb, HostError> {
    MySqlDb::connect(config, StoreOptions::default().busy_timeout).map_err(|e| {
        HostError::Store(Box::new(crate::store::StoreError::Open {
            path: format!("the WordPress database {}", config.describe()),
            source: e,
        }))
    })
}

/// Issue #16: a SQLite file whose queue went into the WordPress database, opened while the settings say SQLite.
/// Moments after a move out of it, that is a process still on the old settings, which the moved mark sends on to
/// the new queue. But when the queue then moved on from the WordPress database (back into another server's
/// SQLite file), or this file was merged there, nothing will come back to it: it is left behind, and this server
/// starts again in it, emptied (a copy is kept). Otherwise every write here would be refused for good.
fn left_behind(store: &Store, wordpress: Option<&MySqlConfig>) -> Result<bool, HostError> {
    if store.moved_to()?.is_none() {
        return Ok(false);
    }
    if store.merged_away()? {
        return Ok(true);
    }
    let Some(config) = wordpress else {
        return Ok(false);
    };
    // Read only: the WordPress tables are not created here if they are missing.
    let Ok(db) = connect(config) else {
        return Ok(false);
    };
    let db: &dyn Db = &db;
    let moved_on = db.row_opt(
        "SELECT value FROM queue_flags WHERE name = ?1",
        &[Val::Text(MOVED_FLAG.into())],
        |r| r.get::<String>(0),
    );
    Ok(matches!(moved_on, Ok(Some(_))))
}

/// Moves the queue from the storage `json` names now to `to` (`sqlite` or `wordpress`). The plugin saves the new
/// storage setting after this returns; until then, writes to the old queue fail with "moved" and the plugin
/// retries them on the new one.
///
/// # Errors
/// [`HostError::Input`] when `to` is where the queue already is; store errors (nothing moved).
pub fn move_queue(
    json: &str,
    data_dir: &Path,
    to: &str,
    now: DateTime<Utc>,
) -> Result<Moved, HostError> {
    let doc: PluginSettings = serde_json::from_str(json)
        .map_err(|e| HostError::Config(format!("not a settings document: {e}")))?;
    let from = storage_of(&doc, None)?;
    let dest = storage_of(&doc, Some(to))?;
    if from.name() == dest.name() {
        return Err(HostError::Input(format!("the queue is already in {to}")));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        HostError::Input(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let source = open(&from, data_dir)?;
    if matches!(dest, Storage::Sqlite(_)) {
        set_aside_moved_file(data_dir)?;
    }
    let target = open(&dest, data_dir)?;
    // The WordPress tables of an earlier move back to SQLite: everything in them went there, and on here since.
    if matches!(dest, Storage::WordPress(_)) && target.moved_to()?.is_some() {
        target.discard_moved()?;
    }
    Ok(source.move_into(&target, now)?)
}

/// Moving back to SQLite finds the file the queue left when it moved out: a copy is kept (never deleted) and the
/// file is emptied, so the queue moves into an empty one.
fn set_aside_moved_file(data_dir: &Path) -> Result<(), HostError> {
    let path = db_path(data_dir);
    if !path.exists() {
        return Ok(());
    }
    let store = Store::open(&path)?;
    let _turn = file_turn(data_dir)?;
    if store.moved_to()?.is_some() {
        store.discard_moved_keeping(&free_copy_name(data_dir))?;
    }
    Ok(())
}

/// The data directory's lock file, held while a process decides whether to empty a moved SQLite file (every
/// PHP-FPM worker of the server may find it at once).
fn file_turn(data_dir: &Path) -> Result<std::fs::File, HostError> {
    let path = data_dir.join("ml-connector.lock");
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|e| HostError::Input(format!("cannot lock {}: {e}", path.display())))?;
    Ok(file)
}

/// `ml-connector.sqlite.moved-<time>`, with `-2`, `-3`… when two copies are kept within one second.
fn free_copy_name(data_dir: &Path) -> std::path::PathBuf {
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let mut name = data_dir.join(format!("ml-connector.sqlite.moved-{stamp}"));
    let mut n = 1;
    while name.exists() {
        n += 1;
        name = data_dir.join(format!("ml-connector.sqlite.moved-{stamp}-{n}"));
    }
    name
}

/// Issue #16: the SQLite file a server kept while each server had its own queue, found after another server moved
/// the queue into the WordPress database: `Some(path)` when `storage` is the WordPress database and the file is
/// there (merged or not: [`merge_local`] tells).
pub fn local_file(storage: &Storage, data_dir: &Path) -> Option<std::path::PathBuf> {
    let path = db_path(data_dir);
    (matches!(storage, Storage::WordPress(_)) && path.is_file()).then_some(path)
}

/// What a server's own SQLite file still holds that the shared queue has not got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalQueue {
    /// Jobs not sent yet (pending, running, failed).
    pub unfinished: u64,
    /// Objects noted by shoppers' requests whose jobs were never built.
    pub notes: u64,
}

/// What `path` holds that was never merged into the shared queue; `None` once it was moved or merged.
///
/// # Errors
/// Store errors (the file cannot be opened or read).
pub fn unmerged(path: &Path) -> Result<Option<LocalQueue>, HostError> {
    let local = Store::open_with(path, &StoreOptions::default())?;
    if local.moved_to()?.is_some() {
        return Ok(None);
    }
    let c = local.counts_by_state()?;
    Ok(Some(LocalQueue {
        unfinished: c.pending + c.running + c.failed,
        notes: local.note_count()?,
    }))
}

/// Merges the SQLite file at `path` into the shared queue `into` ([`Store::merge_into`]); `None` when it was
/// moved or merged already.
///
/// # Errors
/// Store errors; [`crate::store::StoreError::Invalid`] while a drain still sends from the file.
pub fn merge_local(
    path: &Path,
    into: &Store,
    now: DateTime<Utc>,
) -> Result<Option<Merged>, HostError> {
    let local = Store::open_with(path, &StoreOptions::default())?;
    Ok(local.merge_into(into, now)?)
}
