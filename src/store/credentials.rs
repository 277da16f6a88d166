//! Encrypted credentials (Visma client secret, WooCommerce API keys, webhook secrets): each value sealed with
//! [`Key`] under its own random nonce, the row name bound as associated data, the key's fingerprint stored beside
//! it. The plain value exists only in the [`Secret`] handed back; it never reaches a log, an error or the audit.

use super::crypto::Key;
use super::db::args;
use super::{ts, Store, StoreError};
use crate::secret::Secret;
use chrono::{DateTime, Utc};

impl Store {
    /// Stores (or replaces) the credential `name`, encrypted with `key`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an empty or over-long name; SQLite failures.
    pub fn put_credential(
        &self,
        name: &str,
        secret: &Secret,
        key: &Key,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if name.is_empty() || name.len() > 200 {
            return Err(StoreError::Invalid {
                field: "credential name",
                reason: "must be 1 to 200 bytes".into(),
            });
        }
        let (nonce, ct) = key.seal(name, secret.expose().as_bytes())?;
        self.write("put credential", |tx| {
            tx.exec("INSERT INTO credentials (name, nonce, ciphertext, key_fingerprint, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
                 key_fingerprint = excluded.key_fingerprint, updated_at = excluded.updated_at", args![name, &nonce[..], &ct, key.fingerprint(), ts(now)])
            .map(|_| ())
            .map_err(|e| self.classify("put credential", e))
        })
    }

    /// Reads and decrypts the credential `name`; `None` when it was never stored.
    ///
    /// # Errors
    /// [`StoreError::WrongKey`] when it was encrypted with another key; [`StoreError::CredentialTampered`] when it
    /// does not authenticate under the right key; SQLite failures.
    pub fn get_credential(&self, name: &str, key: &Key) -> Result<Option<Secret>, StoreError> {
        let row: Option<(Vec<u8>, Vec<u8>, String)> = self
            .conn()?
            .row_opt(
                "SELECT nonce, ciphertext, key_fingerprint FROM credentials WHERE name = ?1",
                args![name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| self.classify("get credential", e))?;
        let Some((nonce, ct, fingerprint)) = row else {
            return Ok(None);
        };
        decrypt(name, key, &nonce, &ct, &fingerprint).map(Some)
    }

    /// Deletes the credential `name`; false when there was none.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn delete_credential(&self, name: &str) -> Result<bool, StoreError> {
        let n = self.write("delete credential", |tx| {
            tx.exec("DELETE FROM credentials WHERE name = ?1", args![name])
                .map_err(|e| self.classify("delete credential", e))
        })?;
        Ok(n == 1)
    }

    /// The stored credential names (never the values).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn credential_names(&self) -> Result<Vec<String>, StoreError> {
        self.conn()?
            .rows("SELECT name FROM credentials ORDER BY name", args![], |r| {
                r.get(0)
            })
            .map_err(|e| self.classify("credential names", e))
    }

    /// Re-encrypts every credential from `old` to `new` (fresh nonces) in one transaction: either all rows move to
    /// the new key or none do. Returns how many rows were re-encrypted.
    ///
    /// # Errors
    /// [`StoreError::WrongKey`] / [`StoreError::CredentialTampered`] when a row does not open under `old` (nothing
    /// is changed then); SQLite failures.
    pub fn rotate_credentials(
        &self,
        old: &Key,
        new: &Key,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let fail = |e| self.classify("rotate credentials", e);
        self.write("rotate credentials", |tx| {
            let rows: Vec<(String, Vec<u8>, Vec<u8>, String)> = tx
                .rows(
                    "SELECT name, nonce, ciphertext, key_fingerprint FROM credentials ORDER BY name",
                    args![],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .map_err(fail)?;
            for (name, nonce, ct, fingerprint) in &rows {
                let plain = decrypt(name, old, nonce, ct, fingerprint)?;
                let (nonce, ct) = new.seal(name, plain.expose().as_bytes())?;
                let n = tx
                    .exec("UPDATE credentials SET nonce = ?2, ciphertext = ?3, key_fingerprint = ?4, updated_at = ?5 \
                         WHERE name = ?1 AND key_fingerprint = ?6", args![name, &nonce[..], ct, new.fingerprint(), ts(now), fingerprint])
                    .map_err(fail)?;
                if n != 1 {
                    return Err(StoreError::CredentialTampered { name: name.clone() });
                }
            }
            Ok(rows.len())
        })
    }
}

fn decrypt(
    name: &str,
    key: &Key,
    nonce: &[u8],
    ct: &[u8],
    fingerprint: &str,
) -> Result<Secret, StoreError> {
    if fingerprint != key.fingerprint() {
        return Err(StoreError::WrongKey {
            name: name.to_string(),
            stored: fingerprint.to_string(),
            given: key.fingerprint(),
        });
    }
    let plain = key
        .open(name, nonce, ct)
        .ok_or_else(|| StoreError::CredentialTampered {
            name: name.to_string(),
        })?;
    String::from_utf8(plain)
        .map(Secret::new)
        .map_err(|_| StoreError::CredentialTampered {
            name: name.to_string(),
        })
}
