//! Many writers on one file: 8 threads, then 8 OS processes (this test binary re-run as workers), each enqueueing
//! its own jobs plus a shared set of identical payloads and claiming/completing as it goes. Every job must exist
//! once and be claimed exactly once; every document must be recorded once.

mod store_support;

use ml_connector::store::{
    payload_hash, Attempt, Completion, JobFilter, JobId, JobKind, NewMapping, Store, StoreError,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use store_support::{job, t0};

const WORKERS: u64 = 8;
const OWN_JOBS: u64 = 40;
const SHARED_JOBS: u64 = 20;
const LEASE: Duration = Duration::from_secs(3600);

/// Retries a call that failed only because another writer held the lock (what the engine does too).
fn retrying<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> T {
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if e.is_retryable() => continue,
            Err(e) => panic!("store call failed: {e:?}"),
        }
    }
}

fn claim_and_complete(s: &Store, owner: &str, limit: u32, claimed: &mut Vec<JobId>) -> usize {
    let got = retrying(|| s.claim(owner, t0(), LEASE, limit));
    for c in &got {
        claimed.push(c.job.id);
        let mapping = NewMapping {
            store_id: c.job.store_id.clone(),
            company: String::new(),
            kind: c.job.kind.into(),
            woo_id: c.job.woo_id,
            visma_number: format!("{}-{}", c.job.kind, c.job.woo_id),
            external_ref: format!("woo:default:{}", c.job.woo_id),
            payload_hash: payload_hash(&c.job.payload),
            posted_at: t0(),
        };
        retrying(|| {
            s.complete(
                &c.lease,
                t0(),
                &Completion::Posted {
                    mapping: mapping.clone(),
                    attempt: Attempt::default(),
                },
            )
        });
    }
    got.len()
}

/// One worker: enqueue own + shared jobs, claiming a few now and then, then drain what it can see.
fn work(path: &Path, worker: u64) -> Vec<JobId> {
    let s = retrying(|| Store::open(path));
    let owner = format!("worker-{worker}-{}", std::process::id());
    let mut claimed = Vec::new();
    for n in 0..OWN_JOBS {
        retrying(|| s.enqueue(&job(JobKind::Order, 1000 * (worker + 1) + n, 1), t0()));
        retrying(|| s.enqueue(&job(JobKind::Customer, n % SHARED_JOBS, 1), t0()));
        if n % 4 == 0 {
            claim_and_complete(&s, &owner, 3, &mut claimed);
        }
    }
    while claim_and_complete(&s, &owner, 5, &mut claimed) > 0 {}
    claimed
}

fn check_exactly_once(path: &Path, claimed: Vec<JobId>) {
    let s = Store::open(path).expect("open");
    let mut seen = BTreeMap::new();
    for id in claimed {
        *seen.entry(id).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "claimed more than once: {twice:?}");
    let all = s
        .list(&JobFilter {
            limit: 1000,
            ..Default::default()
        })
        .expect("list");
    assert_eq!(
        all.len(),
        usize::try_from(WORKERS * OWN_JOBS + SHARED_JOBS).expect("small")
    );
    let stored: Vec<JobId> = all.iter().map(|j| j.id).rev().collect();
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        stored,
        "every job claimed"
    );
    let counts = s.counts_by_state().expect("counts");
    assert_eq!(
        (counts.done, counts.pending, counts.running),
        (WORKERS * OWN_JOBS + SHARED_JOBS, 0, 0)
    );
    assert!(
        all.iter().all(|j| j.attempts == 1),
        "no job was claimed twice"
    );
    for j in &all {
        assert!(
            s.lookup_mapping(
                &ml_connector::store::Books::new("default", ""),
                j.kind,
                j.woo_id
            )
            .expect("lookup")
            .is_some(),
            "{} {} not mapped",
            j.kind,
            j.woo_id
        );
    }
}

#[test]
fn eight_threads_enqueue_and_claim_every_job_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let handles: Vec<_> = (0..WORKERS)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || work(&path, w))
        })
        .collect();
    let mut claimed: Vec<JobId> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("worker thread"))
        .collect();
    let s = Store::open(&path).expect("open");
    while claim_and_complete(&s, "final", 50, &mut claimed) > 0 {}
    check_exactly_once(&path, claimed);
}

#[test]
fn eight_processes_enqueue_and_claim_every_job_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("q.sqlite");
    let exe = std::env::current_exe().expect("test binary");
    // The database does not exist yet: the workers race to create and migrate it too.
    let children: Vec<_> = (0..WORKERS)
        .map(|w| {
            let out = dir.path().join(format!("claimed-{w}.txt"));
            let child = Command::new(&exe)
                .args([
                    "--exact",
                    "worker_process",
                    "--ignored",
                    "--test-threads=1",
                    "--quiet",
                ])
                .env("ML_STORE_TEST_DB", &path)
                .env("ML_STORE_TEST_WORKER", w.to_string())
                .env("ML_STORE_TEST_OUT", &out)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn worker");
            (child, out)
        })
        .collect();
    let mut claimed = Vec::new();
    for (mut child, out) in children {
        assert!(
            child.wait().expect("wait").success(),
            "worker process failed"
        );
        let text = std::fs::read_to_string(&out).expect("worker output");
        claimed.extend(text.lines().map(|l| JobId::new(l.parse().expect("job id"))));
    }
    // Each worker drains what it can see after its own last enqueue, so nothing is left for a final pass.
    let s = Store::open(&path).expect("open");
    assert_eq!(claim_and_complete(&s, "final", 50, &mut claimed), 0);
    check_exactly_once(&path, claimed);
}

/// The body of one worker process (run by the test above with the environment set; does nothing otherwise).
#[test]
#[ignore = "run as a child process by eight_processes_enqueue_and_claim_every_job_exactly_once"]
fn worker_process() {
    let (Ok(db), Ok(worker), Ok(out)) = (
        std::env::var("ML_STORE_TEST_DB"),
        std::env::var("ML_STORE_TEST_WORKER"),
        std::env::var("ML_STORE_TEST_OUT"),
    ) else {
        return;
    };
    let claimed = work(Path::new(&db), worker.parse().expect("worker number"));
    let text: String = claimed.iter().map(|id| format!("{id}\n")).collect();
    std::fs::write(out, text).expect("write claimed ids");
}
