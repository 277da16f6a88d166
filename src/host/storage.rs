//! Where the plugin's queue lives (issue #16): a SQLite file in the data directory (one web server), or the
//! shop's own WordPress database (several web servers behind a load balancer share it), and moving between them.

use super::plugin_settings::PluginSettings;
use super::{db_path, HostError};
use crate::store::db::mysql::{MySqlConfig, MySqlDb};
use crate::store::{Moved, Store, StoreOptions};
use chrono::{DateTime, Utc};
use std::path::Path;

/// The queue's backend, as the settings document chose it.
#[derive(Debug)]
pub enum Storage {
    /// `{data_dir}/ml-connector.sqlite`.
    Sqlite,
    /// Tables `{prefix}mlc_*` in the WordPress database.
    WordPress(MySqlConfig),
}

impl Storage {
    /// `sqlite` or `wordpress`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
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
        "" | "sqlite" => Ok(Storage::Sqlite),
        "wordpress" => {
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
            Ok(Storage::WordPress(MySqlConfig::from_wordpress(
                &db.host,
                &db.name,
                &db.user,
                db.password.expose(),
                &db.prefix,
            )))
        }
        other => Err(HostError::Config(format!(
            "storage must be sqlite or wordpress, not {:?}",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// Opens (creating and migrating) the queue of `storage`.
///
/// # Errors
/// Store errors; the WordPress database refusing the connection.
pub fn open(storage: &Storage, data_dir: &Path) -> Result<Store, HostError> {
    let options = StoreOptions::default();
    match storage {
        Storage::Sqlite => Ok(Store::open_with(db_path(data_dir), &options)?),
        Storage::WordPress(config) => {
            let db = MySqlDb::connect(config, options.busy_timeout).map_err(|e| {
                HostError::Store(Box::new(crate::store::StoreError::Open {
                    path: format!("the WordPress database {}", config.describe()),
                    source: e,
                }))
            })?;
            Ok(Store::open_server(Box::new(db), &options)?)
        }
    }
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
    if matches!(dest, Storage::Sqlite) {
        set_aside_moved_file(data_dir)?;
    }
    let target = open(&dest, data_dir)?;
    // The WordPress tables of an earlier move back to SQLite: everything in them went there, and on here since.
    if matches!(dest, Storage::WordPress(_)) && target.moved_to()?.is_some() {
        target.discard_moved()?;
    }
    Ok(source.move_into(&target, now)?)
}

/// Moving back to SQLite finds the file the queue left when it moved out: it is renamed (kept, never deleted)
/// so the queue moves into a new, empty file.
fn set_aside_moved_file(data_dir: &Path) -> Result<(), HostError> {
    let path = db_path(data_dir);
    if !path.exists() {
        return Ok(());
    }
    let moved = Store::open(&path)?.moved_to()?.is_some();
    if !moved {
        return Ok(());
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S");
    for suffix in ["", "-wal", "-shm"] {
        let from = data_dir.join(format!("ml-connector.sqlite{suffix}"));
        if from.exists() {
            let to = data_dir.join(format!("ml-connector.sqlite.moved-{stamp}{suffix}"));
            std::fs::rename(&from, &to).map_err(|e| {
                HostError::Input(format!("cannot set {} aside: {e}", from.display()))
            })?;
        }
    }
    Ok(())
}
