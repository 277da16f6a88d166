//! Credentials: encrypted at rest (the raw database and WAL bytes and the audit never contain a secret), bound to
//! their row name, refused under a wrong key, rotated in one transaction; key files created 0600.

mod store_support;

use ml_connector::secret::Secret;
use ml_connector::store::{AuditQuery, JobKind, Key, Store, StoreError};
use store_support::{at, job, t0};

const SECRETS: [(&str, &str); 3] = [
    ("visma.client_secret", "visma-client-secret-7f3a9c1e5b"),
    (
        "woo.consumer_secret",
        "cs_0123456789abcdef0123456789abcdef01234567",
    ),
    ("woo.webhook_secret", "webhook-secret-Qz8!vL2#pX"),
];

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn secrets_never_appear_in_the_database_wal_or_audit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let key = Key::generate();
    let s = Store::open(&path).expect("open");
    for (name, value) in SECRETS {
        s.put_credential(name, &Secret::new(value), &key, t0())
            .expect("put");
    }
    // Overwrite one, so an old version could linger in a free page or the WAL.
    s.put_credential(SECRETS[0].0, &Secret::new(SECRETS[0].1), &key, at(1))
        .expect("put again");
    s.enqueue(&job(JobKind::Order, 1, 1), t0())
        .expect("enqueue");
    for (name, value) in SECRETS {
        assert_eq!(
            s.get_credential(name, &key)
                .expect("get")
                .as_ref()
                .map(Secret::expose),
            Some(value)
        );
    }
    let wal = dir.path().join("q.sqlite-wal");
    let mut files = vec![std::fs::read(&path).expect("db bytes")];
    assert!(wal.exists(), "WAL mode should leave a -wal file while open");
    files.push(std::fs::read(&wal).expect("wal bytes"));
    let audit = format!(
        "{:?}",
        s.audit_entries(&AuditQuery::default()).expect("audit")
    );
    for (name, value) in SECRETS {
        for bytes in &files {
            assert!(!contains(bytes, value), "{name} found in raw file bytes");
        }
        assert!(!audit.contains(value), "{name} found in the audit");
    }
    // The names are stored in clear (they are not secret); this shows the grep above can find text.
    assert!(files.iter().any(|b| contains(b, SECRETS[1].0)));
    drop(s);
    let after_close = std::fs::read(&path).expect("db bytes after checkpoint");
    for (name, value) in SECRETS {
        assert!(
            !contains(&after_close, value),
            "{name} found after checkpoint"
        );
    }
}

#[test]
fn a_wrong_key_is_reported_as_such() {
    let s = Store::open_in_memory().expect("open");
    let key = Key::derive(b"AUTH_KEY...SECURE_AUTH_KEY", "wordpress-salts");
    s.put_credential(
        "visma.client_secret",
        &Secret::new("demo-secret"),
        &key,
        t0(),
    )
    .expect("put");
    let err = s
        .get_credential("visma.client_secret", &Key::generate())
        .expect_err("wrong key");
    assert!(matches!(err, StoreError::WrongKey { .. }), "got {err:?}");
    assert!(!err.to_string().contains("demo-secret"));
    let same = Key::derive(b"AUTH_KEY...SECURE_AUTH_KEY", "wordpress-salts");
    assert_eq!(
        s.get_credential("visma.client_secret", &same)
            .expect("get")
            .map(|v| v.expose().to_string()),
        Some("demo-secret".into())
    );
    assert_eq!(s.get_credential("missing", &same).expect("get"), None);
}

#[test]
fn a_value_moved_to_another_row_does_not_decrypt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let key = Key::generate();
    let s = Store::open(&path).expect("open");
    s.put_credential("a", &Secret::new("value-a"), &key, t0())
        .expect("put");
    s.put_credential("b", &Secret::new("value-b"), &key, t0())
        .expect("put");
    let raw = rusqlite::Connection::open(&path).expect("raw");
    raw.execute(
        "UPDATE credentials SET nonce = (SELECT nonce FROM credentials WHERE name = 'a'), \
         ciphertext = (SELECT ciphertext FROM credentials WHERE name = 'a') WHERE name = 'b'",
        [],
    )
    .expect("swap");
    let err = s.get_credential("b", &key).expect_err("swapped row");
    assert!(
        matches!(err, StoreError::CredentialTampered { ref name } if name == "b"),
        "got {err:?}"
    );
}

#[test]
fn rotation_reencrypts_every_row_or_none() {
    let s = Store::open_in_memory().expect("open");
    let (old, new) = (Key::generate(), Key::generate());
    for (name, value) in SECRETS {
        s.put_credential(name, &Secret::new(value), &old, t0())
            .expect("put");
    }
    // A wrong "old" key changes nothing.
    assert!(matches!(
        s.rotate_credentials(&Key::generate(), &new, at(1)),
        Err(StoreError::WrongKey { .. })
    ));
    assert!(s.get_credential(SECRETS[0].0, &old).is_ok());
    assert_eq!(s.rotate_credentials(&old, &new, at(2)).expect("rotate"), 3);
    for (name, value) in SECRETS {
        assert_eq!(
            s.get_credential(name, &new)
                .expect("new key")
                .map(|v| v.expose().to_string()),
            Some(value.to_string())
        );
        assert!(matches!(
            s.get_credential(name, &old),
            Err(StoreError::WrongKey { .. })
        ));
    }
    assert_eq!(
        s.credential_names().expect("names"),
        [
            "visma.client_secret",
            "woo.consumer_secret",
            "woo.webhook_secret"
        ]
    );
    assert!(s.delete_credential("woo.webhook_secret").expect("delete"));
    assert!(!s
        .delete_credential("woo.webhook_secret")
        .expect("delete again"));
}

#[cfg(unix)]
#[test]
fn the_key_file_is_created_private_and_read_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("keys").join("ml-connector.key");
    assert!(
        matches!(Key::load_or_create(&path), Err(StoreError::KeyFile { .. })),
        "missing directory is an error"
    );
    std::fs::create_dir(dir.path().join("keys")).expect("mkdir");
    let created = Key::load_or_create(&path).expect("create");
    assert_eq!(
        std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        Key::load_or_create(&path).expect("load").fingerprint(),
        created.fingerprint()
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Key::load_or_create(&path).expect_err("world-readable key");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::write(&path, "abcd\n").expect("truncate");
    assert!(matches!(
        Key::load_or_create(&path),
        Err(StoreError::KeyFile { .. })
    ));
}
