//! Finding or creating the Visma customer an order needs, before the order itself.
//!
//! Numbered by us (prefix + WooCommerce id, or the generic web customer): `create_customer_once` looks the
//! number up first, so a lost answer cannot make a duplicate. Numbered by Visma's series (per-email guests):
//! the local index (e-mail → number) answers first; on a miss it is refreshed from Visma with the
//! `lastModifiedDateTime` delta (cursor `visma.customers.delta`), and only then is a customer created. After
//! an unknown outcome the delta is read again before anything is re-sent.

use super::{Engine, JobFailure};
use crate::mapping::{CustomerRef, Party};
use crate::store::Books;
use crate::visma::dto::CustomerUpdateDto;
use crate::visma::CreateOutcome;
use chrono::NaiveDateTime;
use std::time::Duration;

/// The cursor of Visma's customer delta, per company (issue #13: the customer index is kept per company).
fn delta_cursor(books: &Books) -> String {
    format!("visma.customers.delta@{}", books.company)
}

/// The Visma customer number for `cref`, creating the customer from `body` when Visma has none.
pub(crate) fn resolve(
    engine: &Engine,
    cref: &CustomerRef,
    body: Option<&CustomerUpdateDto>,
) -> Result<String, JobFailure> {
    let books = engine.books();
    let indexed = if cref.email_key.is_empty() {
        None
    } else {
        engine.store().customer_by_email(books, &cref.email_key)?
    };
    if let Some(number) = &cref.number {
        // Generic customer (no body) or one already created by us: nothing to send.
        if body.is_none() || indexed.as_deref() == Some(number.as_str()) {
            return Ok(number.clone());
        }
        let Some(body) = body else {
            return Ok(number.clone());
        };
        // Two workers creating the same number: the second create would be rejected as a duplicate number.
        let indexed_now = || -> Result<Option<()>, JobFailure> {
            let now = if cref.email_key.is_empty() {
                None
            } else {
                engine.store().customer_by_email(books, &cref.email_key)?
            };
            Ok((now.as_deref() == Some(number.as_str())).then_some(()))
        };
        with_claim(
            engine,
            books,
            &format!("number:{number}"),
            indexed_now,
            || {
                engine
                    .visma()
                    .create_customer_once(number, body)
                    .map_err(|e| JobFailure::visma("customer.create", &e))?;
                remember(engine, books, &cref.email_key, number)
            },
        )?;
        return Ok(number.clone());
    }
    if let Some(number) = indexed {
        return Ok(number);
    }
    let Some(body) = body else {
        return Err(JobFailure::permanent(
            "the order has no customer number and no customer details to create one",
        ));
    };
    if cref.email_key.is_empty() {
        return Err(JobFailure::permanent(
            "the order has no billing e-mail, so its customer cannot be matched; set a generic customer \
             or prefix numbering",
        ));
    }
    // Another worker may create it between our index miss and our claim: the index answers then.
    let indexed_now = || -> Result<Option<String>, JobFailure> {
        Ok(engine.store().customer_by_email(books, &cref.email_key)?)
    };
    with_claim(
        engine,
        books,
        &format!("email:{}", cref.email_key),
        indexed_now,
        || create_by_email(engine, books, &cref.email_key, body),
    )
}

/// How long a job waits for another worker's customer creation before it gives up and is retried later.
/// A creation is a search and a create (two calls), so the holder is usually done within milliseconds.
const CLAIM_WAIT: Duration = Duration::from_secs(5);
/// How often a waiting job looks again.
const CLAIM_POLL: Duration = Duration::from_millis(20);

/// Issue #5: runs `create` while holding the store's creation claim on `key`, so no two workers (in any
/// process) search-then-create the same customer at once: with Visma's series numbering both found nothing and
/// both created one (tests/engine_processes.rs). While another worker holds the claim, `done` is asked every
/// [`CLAIM_POLL`] whether that worker has put the customer in the index; issue #8: failing at once put a burst
/// of one new customer's orders into backoff (a backlog bench retried 100 jobs for one customer), each charged
/// an attempt. After [`CLAIM_WAIT`] the job waits for its next attempt instead.
fn with_claim<T>(
    engine: &Engine,
    books: &Books,
    key: &str,
    done: impl Fn() -> Result<Option<T>, JobFailure>,
    create: impl FnOnce() -> Result<T, JobFailure>,
) -> Result<T, JobFailure> {
    let store = engine.store();
    let store_id = books.store_id.as_str();
    // Issue #13: one claim per company, so two companies of one store never wait on each other.
    let key = &format!("{}|{key}", books.company);
    // Counted, not timed: a test clock may not move while we sleep. Never longer than half the job's lease,
    // which is not renewed while waiting: a wait that outlived it handed the job to another worker, which
    // waited too, until the job was declared dead for "crashing" (8 processes, 1 s leases, queued releases).
    let mut polls_left =
        CLAIM_WAIT.min(engine.options.lease / 2).as_millis() / CLAIM_POLL.as_millis();
    loop {
        if store.claim_customer_creation(
            store_id,
            key,
            &engine.owner,
            engine.now(),
            engine.options.lease,
        )? {
            break;
        }
        if let Some(found) = done()? {
            return Ok(found);
        }
        if polls_left == 0 {
            return Err(JobFailure::look_again(
                "another worker is creating this order's Visma customer; trying again shortly",
                CLAIM_POLL * 10,
                false,
            ));
        }
        polls_left -= 1;
        engine.clock.sleep(CLAIM_POLL);
    }
    // The holder may have finished between our last look and our claim.
    let result = match done() {
        Ok(Some(found)) => Ok(found),
        Ok(None) => create(),
        Err(e) => Err(e),
    };
    if let Err(e) = store.release_customer_creation(store_id, key, &engine.owner) {
        // The claim expires with the lease; a failed release only delays the other workers.
        tracing::warn!(error = %e, "could not release a customer creation claim");
    }
    result
}

/// Creates a customer numbered by Visma's series for `email_key`, unless the delta shows one already.
fn create_by_email(
    engine: &Engine,
    books: &Books,
    email_key: &str,
    body: &CustomerUpdateDto,
) -> Result<String, JobFailure> {
    if let Some(number) = refresh_and_find(engine, books, email_key)? {
        return Ok(number);
    }
    match engine.visma().create_customer(body) {
        Ok(number) => {
            remember(engine, books, email_key, &number)?;
            Ok(number)
        }
        Err(e) if e.is_outcome_unknown() => {
            // The create may have landed: look again before the job is retried.
            match refresh_and_find(engine, books, email_key) {
                Ok(Some(number)) => Ok(number),
                _ => Err(JobFailure::visma("customer.create", &e)),
            }
        }
        Err(e) => Err(JobFailure::visma("customer.create", &e)),
    }
}

/// Creates or updates a WooCommerce customer (or supplier) in Visma. Returns the number and the endpoint used.
pub(crate) fn upsert(
    engine: &Engine,
    cref: &CustomerRef,
    party: &Party,
) -> Result<(CreateOutcome<String>, &'static str), JobFailure> {
    let books = engine.books();
    let visma = engine.visma();
    match party {
        Party::Customer(dto) => {
            let existing = match &cref.number {
                Some(n) => visma
                    .get_customer(n)
                    .map_err(|e| JobFailure::visma("customer.get", &e))?
                    .map(|_| n.clone()),
                None => match engine.store().customer_by_email(books, &cref.email_key)? {
                    Some(n) => Some(n),
                    None => refresh_and_find(engine, books, &cref.email_key)?,
                },
            };
            if let Some(number) = existing {
                visma
                    .update_customer(&number, dto.as_ref())
                    .map_err(|e| JobFailure::visma("customer.update", &e))?;
                remember(engine, books, &cref.email_key, &number)?;
                return Ok((CreateOutcome::Adopted(number), "customer.update"));
            }
            let number = resolve(engine, cref, Some(dto.as_ref()))?;
            Ok((CreateOutcome::Created(number), "customer.create"))
        }
        Party::Supplier(dto) => {
            let Some(number) = &cref.number else {
                return Err(JobFailure::permanent(
                    "a supplier needs a number (settings supplier.number_prefix)",
                ));
            };
            let exists = visma
                .get_supplier(number)
                .map_err(|e| JobFailure::visma("supplier.get", &e))?
                .is_some();
            if exists {
                visma
                    .update_supplier(number, dto.as_ref())
                    .map_err(|e| JobFailure::visma("supplier.update", &e))?;
                return Ok((CreateOutcome::Adopted(number.clone()), "supplier.update"));
            }
            match visma.create_supplier(dto.as_ref()) {
                Ok(n) => Ok((CreateOutcome::Created(n), "supplier.create")),
                Err(e) if e.is_outcome_unknown() => match visma.get_supplier(number) {
                    Ok(Some(_)) => Ok((CreateOutcome::Adopted(number.clone()), "supplier.create")),
                    _ => Err(JobFailure::visma("supplier.create", &e)),
                },
                Err(e) => Err(JobFailure::visma("supplier.create", &e)),
            }
        }
    }
}

fn remember(
    engine: &Engine,
    books: &Books,
    email_key: &str,
    number: &str,
) -> Result<(), JobFailure> {
    if email_key.is_empty() {
        return Ok(());
    }
    engine.store().index_customers(
        books,
        &[(email_key.to_owned(), number.to_owned())],
        engine.now(),
    )?;
    Ok(())
}

/// Reads Visma's customers changed since the cursor into the index, then looks `email_key` up.
fn refresh_and_find(
    engine: &Engine,
    books: &Books,
    email_key: &str,
) -> Result<Option<String>, JobFailure> {
    let since = engine
        .store()
        .cursor(&books.store_id, &delta_cursor(books))?
        .and_then(|c| NaiveDateTime::parse_from_str(&c.value, "%Y-%m-%dT%H:%M:%S").ok());
    let customers = engine
        .visma()
        .list_customers(since)
        .map_err(|e| JobFailure::visma("customer.list", &e))?;
    // The next read starts a minute before the newest change Visma showed, on Visma's clock. Issue #8: the
    // cursor was our clock minus a minute, so a server clock ahead of Visma's skipped customers created since;
    // a lost create answer was then searched for in vain and the customer created twice (tests/engine_kill.rs,
    // whose final drain runs two hours ahead of the simulator). Nothing new: the cursor stays.
    let newest = customers
        .iter()
        .filter_map(|c| c.last_modified_date_time.as_deref())
        .filter_map(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok())
        .max();
    let next_cursor = newest
        .map(|t| t - chrono::Duration::minutes(1))
        .max(since)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string());
    let rows: Vec<(String, String)> = customers
        .into_iter()
        .filter_map(|c| {
            let email = c.main_contact?.email?.trim().to_lowercase();
            let number = c.number?;
            (!email.is_empty() && !number.is_empty()).then_some((email, number))
        })
        .collect();
    engine.store().index_customers(books, &rows, engine.now())?;
    if let Some(next) = next_cursor {
        engine
            .store()
            .set_cursor(&books.store_id, &delta_cursor(books), &next, engine.now())?;
    }
    Ok(engine.store().customer_by_email(books, email_key)?)
}
