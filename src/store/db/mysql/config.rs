//! Where the WordPress database is: a `mysql://` URL or WordPress's own `DB_*` constants, read into a
//! [`MySqlConfig`], and which servers the room accepts. No I/O here except asking whether a socket file exists.

use crate::store::db::{redact_url, DbError};
use std::fmt;
use std::path::Path;

/// WordPress's `localhost` means the server's Unix socket (the MySQL client convention); where distributions put
/// it: Debian/Ubuntu, RHEL, macOS.
const DEFAULT_SOCKETS: &[&str] = &[
    "/run/mysqld/mysqld.sock",
    "/var/lib/mysql/mysql.sock",
    "/tmp/mysql.sock",
];

/// Where the WordPress database is and which tables are the store's.
#[derive(Clone, PartialEq, Eq)]
pub struct MySqlConfig {
    /// Host name or IP address (IPv6 without brackets); unused when `socket` is set.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// A Unix socket path, used instead of TCP.
    pub socket: Option<String>,
    /// The database user.
    pub user: String,
    /// The user's password (never printed).
    pub password: String,
    /// The database (WordPress's `DB_NAME`).
    pub database: String,
    /// The full table prefix, e.g. `wp_mlc_`.
    pub prefix: String,
}

impl fmt::Debug for MySqlConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MySqlConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("user", &self.user)
            .field("password", &"***")
            .field("database", &self.database)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl MySqlConfig {
    /// Reads `mysql://user:pass@host:3306/db?prefix=wp_mlc_&socket=/run/mysqld/mysqld.sock` (or `mariadb://`);
    /// user and password percent-decoded, port 3306 and prefix `mlc_` unless given.
    ///
    /// # Errors
    /// [`DbError::Setup`] naming what is wrong, never with the password.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let bad = |why: &str| {
            DbError::Setup(format!(
                "{} is not a usable MySQL URL: {why}",
                redact_url(url)
            ))
        };
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| bad("it must start with mysql:// or mariadb://"))?;
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = main.split_once('/').unwrap_or((main, ""));
        let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let user =
            percent_decode(user).ok_or_else(|| bad("the user is not percent-encoded UTF-8"))?;
        let password = percent_decode(password)
            .ok_or_else(|| bad("the password is not percent-encoded UTF-8"))?;
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => v6
                .split_once(']')
                .map(|(h, p)| (h, p.strip_prefix(':')))
                .ok_or_else(|| bad("a `[` without `]`"))?,
            None => match hostport.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            },
        };
        let port = match port {
            Some(p) => p
                .parse()
                .map_err(|_| bad("the port is not a number from 1 to 65535"))?,
            None => 3306,
        };
        let database = percent_decode(path.trim_end_matches('/'))
            .ok_or_else(|| bad("the database name is not percent-encoded UTF-8"))?;
        if user.is_empty() || database.is_empty() {
            return Err(bad("it needs a user and a database (mysql://user@host/db)"));
        }
        let mut config = Self {
            host: if host.is_empty() {
                "localhost".into()
            } else {
                host.to_string()
            },
            port,
            socket: None,
            user,
            password,
            database,
            prefix: "mlc_".into(),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value)
                .ok_or_else(|| bad("a parameter is not percent-encoded UTF-8"))?;
            match key {
                "prefix" => config.prefix = value,
                "socket" if !value.is_empty() => config.socket = Some(value),
                // Not named: a password with an unencoded `?` would put part of itself here.
                _ => return Err(bad("an unknown parameter (prefix and socket are known)")),
            }
        }
        check_prefix(&config.prefix)?;
        Ok(config)
    }

    /// The database WordPress uses (`DB_HOST`, `DB_NAME`, `DB_USER`, `DB_PASSWORD`, `$table_prefix`); the store's
    /// tables are `{table_prefix}mlc_*`. `DB_HOST` is read as WordPress does: `host`, `host:3307`,
    /// `localhost:/path/to/mysqld.sock`, `[::1]:3306`; `localhost` alone means the server's socket, or TCP on
    /// 127.0.0.1 when no socket file is where distributions put it.
    pub fn from_wordpress(
        db_host: &str,
        db_name: &str,
        db_user: &str,
        db_password: &str,
        table_prefix: &str,
    ) -> Self {
        let (host, port, socket) = wordpress_host(db_host, |p| Path::new(p).exists());
        Self {
            host,
            port,
            socket,
            user: db_user.to_string(),
            password: db_password.to_string(),
            database: db_name.to_string(),
            prefix: format!("{table_prefix}mlc_"),
        }
    }

    /// `mysql://user@host:port/db (tables prefix*)`, without the password.
    pub fn describe(&self) -> String {
        let place = match &self.socket {
            Some(socket) => format!("localhost/{}?socket={socket}", self.database),
            None if self.host.contains(':') => {
                format!("[{}]:{}/{}", self.host, self.port, self.database)
            }
            None => format!("{}:{}/{}", self.host, self.port, self.database),
        };
        format!("mysql://{}@{place} (tables {}*)", self.user, self.prefix)
    }
}

/// WordPress's `DB_HOST` (as `wpdb::parse_db_host`) as host, port and socket; `exists` says whether a socket file
/// is there.
pub(super) fn wordpress_host(
    db_host: &str,
    exists: impl Fn(&str) -> bool,
) -> (String, u16, Option<String>) {
    let text = db_host.trim();
    let (rest, socket) = match text.split_once(":/") {
        Some((host, path)) => (host, Some(format!("/{path}"))),
        None => (text, None),
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (v6, None),
        }
    } else if rest.matches(':').count() > 1 {
        // A bare IPv6 address has no port.
        (rest, None)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    let port = port.and_then(|p| p.parse().ok()).unwrap_or(3306);
    let host = if host.is_empty() { "localhost" } else { host };
    if socket.is_some() || !host.eq_ignore_ascii_case("localhost") {
        return (host.to_string(), port, socket);
    }
    match DEFAULT_SOCKETS.iter().find(|p| exists(p)) {
        Some(path) => (host.to_string(), port, Some((*path).to_string())),
        None => ("127.0.0.1".to_string(), port, None),
    }
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not UTF-8.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// The prefix is spliced into SQL as part of identifiers, so it may hold nothing else; MySQL cuts names at 64
/// characters, and the longest name made from it (`schema_migrations`) is 17 more.
pub(super) fn check_prefix(prefix: &str) -> Result<(), DbError> {
    let word = prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if word && prefix.len() <= 40 {
        Ok(())
    } else {
        Err(DbError::Setup(format!(
            "table prefix {prefix:?} must be at most 40 letters, digits or `_`"
        )))
    }
}

/// Refuses servers without `SKIP LOCKED` (the claim's `FOR UPDATE SKIP LOCKED`): `version` is `SELECT VERSION()`.
pub(super) fn check_version(version: &str) -> Result<(), String> {
    // A MariaDB behind an old proxy may still say `5.5.5-10.11.6-MariaDB`.
    let version = version.strip_prefix("5.5.5-").unwrap_or(version);
    let numbers: Vec<u32> = version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("")
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    let found = (
        numbers.first().copied().unwrap_or(0),
        numbers.get(1).copied().unwrap_or(0),
    );
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let (name, needed) = if mariadb {
        ("MariaDB", (10, 6))
    } else {
        ("MySQL", (8, 0))
    };
    if found >= needed {
        Ok(())
    } else {
        Err(format!(
            "the WordPress database runs {name} {version}; the queue needs {name} {}.{} or later (older versions \
             have no SKIP LOCKED)",
            needed.0, needed.1
        ))
    }
}
