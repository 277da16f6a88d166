//! The credential key and the AEAD around it: XChaCha20-Poly1305 with a fresh random 24-byte nonce per value and
//! the row's name as associated data (so a ciphertext moved to another row does not decrypt). The key lives
//! outside the database: a key file (created 0600 when missing) or key material the caller passes in (the plugin
//! derives it from WordPress's secret salts with [`Key::derive`]). No SQL here.

use super::StoreError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::Path;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes (XChaCha20).
pub const NONCE_LEN: usize = 24;

/// HKDF salt for [`Key::derive`]: fixed, so the same material and context always give the same key.
const DERIVE_SALT: &[u8] = b"ml-connector/credentials/v1";
/// Prefix of the associated data, so ciphertexts from any other use of the key never verify here.
const AAD_PREFIX: &[u8] = b"ml-connector/credential/v1:";

/// A 32-byte credential key. Debug prints `Key(***)`; compare keys by [`Key::fingerprint`].
#[derive(Clone)]
pub struct Key([u8; KEY_LEN]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Key {
    /// Wraps 32 key bytes (e.g. from a secrets manager).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut k = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }

    /// Derives a key from secret material with HKDF-SHA256 (RFC 5869): salt `ml-connector/credentials/v1`,
    /// info = `context`, 32 bytes of output. The plugin passes the concatenated WordPress `AUTH_KEY`/`SECURE_AUTH_KEY`
    /// salts as `material` and a fixed context such as `"wordpress-salts"`; changing either gives another key
    /// (use [`crate::store::Store::rotate_credentials`] to move).
    pub fn derive(material: &[u8], context: &str) -> Self {
        Self(hkdf_sha256_32(DERIVE_SALT, material, context.as_bytes()))
    }

    /// Reads the key file at `path`, creating it with a fresh key (mode 0600, written atomically) when missing.
    /// The file holds the key as 64 hex characters. Keep it outside the web root and outside the database
    /// directory's backups if those are less protected.
    ///
    /// # Errors
    /// [`StoreError::KeyFile`] when the file cannot be read or created, does not hold exactly 32 hex-encoded bytes,
    /// or is readable or writable by group or others.
    pub fn load_or_create(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(bytes) => Self::from_file(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(key_file(path, "cannot read", Some(e))),
        }
    }

    fn from_file(path: &Path, bytes: &[u8]) -> Result<Self, StoreError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta =
                std::fs::metadata(path).map_err(|e| key_file(path, "cannot stat", Some(e)))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(key_file(
                    path,
                    "is accessible by group or others; chmod 600 it",
                    None,
                ));
            }
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| key_file(path, "is not 64 hex characters", None))?;
        let decoded = hex::decode(text.trim())
            .map_err(|_| key_file(path, "is not 64 hex characters", None))?;
        let key: [u8; KEY_LEN] = decoded
            .try_into()
            .map_err(|_| key_file(path, "does not hold exactly 32 bytes", None))?;
        Ok(Self(key))
    }

    fn create(path: &Path) -> Result<Self, StoreError> {
        let key = Self::generate();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".ml-connector-key.{}.{}",
            std::process::id(),
            hex::encode(random_bytes::<8>())
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let written = opts.open(&tmp).and_then(|mut f| {
            f.write_all(format!("{}\n", hex::encode(key.0)).as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(key_file(path, "cannot create", Some(e)));
        }
        // hard_link fails when the target exists, so of two processes creating the key at once exactly one wins
        // and the other reads the winner's complete file.
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let bytes =
                    std::fs::read(path).map_err(|e| key_file(path, "cannot read", Some(e)))?;
                Self::from_file(path, &bytes)
            }
            Err(e) => Err(key_file(path, "cannot create", Some(e))),
        }
    }

    /// A short public identifier of the key (first 8 bytes of a labelled SHA-256, hex), stored with each value so
    /// a wrong key is reported as such rather than as tampering.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"ml-connector/key-fingerprint/v1");
        h.update(self.0);
        hex::encode(h.finalize().get(..8).unwrap_or_default())
    }

    /// Encrypts `plain` for the row `name`: (nonce, ciphertext with tag).
    pub(crate) fn seal(
        &self,
        name: &str,
        plain: &[u8],
    ) -> Result<([u8; NONCE_LEN], Vec<u8>), StoreError> {
        let nonce = random_bytes::<NONCE_LEN>();
        let aad = aad(name);
        let ct = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Invalid {
                field: "credential",
                reason: format!("{name} could not be encrypted"),
            })?;
        Ok((nonce, ct))
    }

    /// Decrypts the row `name`; `None` when it does not authenticate.
    pub(crate) fn open(&self, name: &str, nonce: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        if nonce.len() != NONCE_LEN {
            return None;
        }
        let aad = aad(name);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&self.0))
    }
}

fn aad(name: &str) -> Vec<u8> {
    [AAD_PREFIX, name.as_bytes()].concat()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn key_file(path: &Path, reason: &str, source: Option<std::io::Error>) -> StoreError {
    StoreError::KeyFile {
        path: path.display().to_string(),
        reason: reason.to_string(),
        source,
    }
}

/// HKDF-SHA256 (RFC 5869) producing one 32-byte block: PRK = HMAC(salt, ikm); OKM = HMAC(PRK, info || 0x01).
fn hkdf_sha256_32(salt: &[u8], ikm: &[u8], info: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so new_from_slice cannot fail here.
    let mut extract =
        <Hmac<Sha256> as Mac>::new_from_slice(salt).expect("HMAC takes any key length");
    extract.update(ikm);
    let prk = extract.finalize().into_bytes();
    let mut expand =
        <Hmac<Sha256> as Mac>::new_from_slice(&prk).expect("HMAC takes any key length");
    expand.update(info);
    expand.update(&[1u8]);
    expand.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        // RFC 5869 appendix A.1; the first 32 of the 42 output bytes.
        let ikm = [0x0b_u8; 22];
        let salt = hex::decode("000102030405060708090a0b0c").expect("hex");
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").expect("hex");
        assert_eq!(
            hex::encode(hkdf_sha256_32(&salt, &ikm, &info)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        );
    }

    #[test]
    fn derive_depends_on_material_and_context() {
        let a = Key::derive(b"salts", "wordpress-salts");
        assert_eq!(
            a.fingerprint(),
            Key::derive(b"salts", "wordpress-salts").fingerprint()
        );
        assert_ne!(
            a.fingerprint(),
            Key::derive(b"salts2", "wordpress-salts").fingerprint()
        );
        assert_ne!(
            a.fingerprint(),
            Key::derive(b"salts", "other").fingerprint()
        );
    }

    #[test]
    fn sealed_value_opens_only_under_its_name_and_key() {
        let k = Key::generate();
        let (nonce, ct) = k.seal("visma.client_secret", b"s3cret").expect("seal");
        assert_eq!(
            k.open("visma.client_secret", &nonce, &ct).as_deref(),
            Some(&b"s3cret"[..])
        );
        assert_eq!(k.open("woo.consumer_secret", &nonce, &ct), None);
        assert_eq!(
            Key::generate().open("visma.client_secret", &nonce, &ct),
            None
        );
        let (nonce2, _) = k.seal("visma.client_secret", b"s3cret").expect("seal");
        assert_ne!(nonce, nonce2);
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", Key::from_bytes([7; 32])), "Key(***)");
    }
}
