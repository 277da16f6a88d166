//! Issue #16: the queue's storage as two web servers of one shop see it, each with its own data directory and one
//! WordPress database (MariaDB). A server that kept its own SQLite file finds it, merges it into the shared queue
//! once, and a server whose file was left behind by a later move back to SQLite starts a new file instead of
//! refusing every write for good.

#[path = "engine_support/backends.rs"]
mod backends;

use backends::{Backend, TestDb};
use ml_connector::host::storage::{self, LocalQueue};
use ml_connector::store::{JobKind, JobSource, NewJob, Store, StoreError};

fn doc(storage: &str, db: &str) -> String {
    serde_json::json!({
        "storage": storage,
        "wordpress_db": { "host": "127.0.0.1", "name": db, "user": "root", "password": "", "prefix": "wp_" },
    })
    .to_string()
}

fn order(woo_id: u64) -> NewJob {
    NewJob {
        source: JobSource::Hook,
        store_id: "default".into(),
        kind: JobKind::Order,
        woo_id,
        revision: 1,
        payload: format!(r#"{{"id":{woo_id}}}"#),
        depends_on: None,
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The queue a server opens with the settings document `json` (what `Host::open` does).
fn open(json: &str, dir: &std::path::Path) -> Store {
    storage::open(&storage::parse_storage(json).expect("storage"), dir).expect("open")
}

fn set_aside(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("ml-connector.sqlite.moved-")
                && !name.ends_with("-wal")
                && !name.ends_with("-shm")
        })
        .count()
}

#[test]
fn two_servers_move_merge_and_move_back_without_a_queue_left_refusing_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = TestDb::new(Backend::MySql, tmp.path());
    let db = server
        .location
        .rsplit_once('/')
        .and_then(|(_, rest)| rest.split('?').next())
        .expect("database name")
        .to_owned();
    let (sqlite, wordpress) = (doc("sqlite", &db), doc("wordpress", &db));
    let (a, b) = (tmp.path().join("node-a"), tmp.path().join("node-b"));
    for dir in [&a, &b] {
        std::fs::create_dir_all(dir).expect("data directory");
    }

    // Each server kept its own file: an order on each, and a noted one on b.
    open(&sqlite, &a).enqueue(&order(1), now()).expect("a");
    let own = open(&sqlite, &b);
    own.enqueue(&order(2), now()).expect("b");
    own.note_changed("default", JobKind::Order, 3, 0, now())
        .expect("note");
    drop(own);

    // Server a moves its queue into the WordPress database.
    let moved = storage::move_queue(&sqlite, &a, "wordpress", now()).expect("move");
    assert_eq!(moved.of("jobs"), 1);
    // A process on a still reading "sqlite" in the moment before the setting is saved is sent on (as before).
    let late = open(&sqlite, &a).enqueue(&order(9), now());
    assert!(matches!(late, Err(StoreError::Moved { .. })), "{late:?}");

    // Server b finds its own file, reports it, and merges it once.
    let shared_storage = storage::parse_storage(&wordpress).expect("storage");
    let file = storage::local_file(&shared_storage, &b).expect("b's own file");
    assert_eq!(
        storage::unmerged(&file).expect("read"),
        Some(LocalQueue {
            unfinished: 1,
            notes: 1
        })
    );
    let shared = open(&wordpress, &b);
    let merged = storage::merge_local(&file, &shared, now())
        .expect("merge")
        .expect("merged");
    assert_eq!((merged.jobs, merged.notes), (1, 1), "{merged:?}");
    assert_eq!(storage::unmerged(&file).expect("read"), None);
    assert_eq!(
        storage::merge_local(&file, &shared, now()).expect("again"),
        None,
        "merged once"
    );
    let c = shared.counts_by_state().expect("counts");
    assert_eq!((c.pending, shared.note_count().expect("notes")), (2, 1));
    drop(shared);

    // Server b moves the queue back into a SQLite file (its own merged file is set aside for it).
    storage::move_queue(&wordpress, &b, "sqlite", now()).expect("move back");
    assert_eq!(
        open(&sqlite, &b).counts_by_state().expect("counts").pending,
        2
    );
    // Server a's file went to the WordPress database, and the queue moved on from there: a starts again in it,
    // emptied (a copy kept), instead of refusing every write. All of a's workers find it at once: one empties it,
    // and no order any of them writes is lost.
    std::thread::scope(|scope| {
        for n in 0..8 {
            let (sqlite, a) = (&sqlite, &a);
            scope.spawn(move || {
                open(sqlite, a)
                    .enqueue(&order(100 + n), now())
                    .expect("a writes again");
            });
        }
    });
    assert_eq!(set_aside(&a), 1, "one copy kept");
    let copy = std::fs::read_dir(&a)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".moved-"))
        .expect("the copy");
    let kept = Store::open(&copy).expect("the copy opens");
    assert!(
        kept.moved_to().expect("mark").is_some(),
        "the copy is the moved queue"
    );
    assert_eq!(
        kept.counts_by_state().expect("counts").pending,
        1,
        "order 1, as it was moved"
    );
    drop(kept);
    assert_eq!(
        open(&sqlite, &a).counts_by_state().expect("counts").pending,
        8
    );
    let fresh = open(&sqlite, &a);
    fresh.enqueue(&order(4), now()).expect("a writes again");
    drop(fresh);

    // Once more into the WordPress database, from b; a's new file is merged into it, then b moves back again:
    // a's merged file is left behind at once.
    storage::move_queue(&sqlite, &b, "wordpress", now()).expect("move again");
    let file_a = storage::local_file(&shared_storage, &a).expect("a's file");
    let shared = open(&wordpress, &a);
    storage::merge_local(&file_a, &shared, now())
        .expect("merge")
        .expect("merged");
    assert_eq!(shared.counts_by_state().expect("counts").pending, 2 + 9);
    drop(shared);
    storage::move_queue(&wordpress, &b, "sqlite", now()).expect("move back again");
    open(&sqlite, &a)
        .enqueue(&order(5), now())
        .expect("a writes again");
    assert_eq!(set_aside(&a), 2);
    assert_eq!(
        open(&sqlite, &b).counts_by_state().expect("counts").pending,
        2 + 9
    );
}
