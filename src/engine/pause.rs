//! The queue's pause (issue #14 "errors that end"): a configuration error — a wrong secret, a client not approved
//! for the tenant, an unknown company, a missing scope — fails every job the same way. Instead of each job retrying
//! until it dies, the whole queue pauses with one reason (one notice, one e-mail in the plugin); the drain tests
//! the connection again every [`RETEST_AFTER`] and resumes by itself once the test passes, as does a passing
//! "Test connection" ([`Engine::test_and_resume`]).

use super::{Engine, EngineError};
use crate::store::Pause;
use crate::visma::{PingReport, VismaError};
use std::time::Duration;

/// How long a paused queue waits before a drain tests the connection again.
pub const RETEST_AFTER: Duration = Duration::from_secs(300);

impl Engine {
    /// `None` when the queue may send: it is not paused, or it was and a connection test now passes (the pause is
    /// then cleared). Otherwise the pause in force, with its test time moved when it was tested.
    pub(crate) fn paused(&self) -> Result<Option<Pause>, EngineError> {
        let Some(mut pause) = self.store.pause()? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let retest = chrono::Duration::from_std(RETEST_AFTER).unwrap_or(chrono::Duration::MAX);
        if now - pause.tested_at < retest {
            return Ok(Some(pause));
        }
        match self.connection_test() {
            Ok(_) => {
                self.store.clear_pause(now)?;
                tracing::info!("connection test passed; the queue resumes");
                Ok(None)
            }
            Err(e) => {
                pause.tested_at = now;
                if e.is_configuration() {
                    pause.reason = e.reason_for_merchant();
                    pause.setting = e.setting_to_fix().map(str::to_owned);
                }
                self.store.set_pause(&pause)?;
                Ok(Some(pause))
            }
        }
    }

    /// The ERP connection check, and in sales-order mode the SalesOrders service too (issue #17: a client not
    /// subscribed to it must keep the queue paused, not resume it because the ERP answers).
    fn connection_test(&self) -> Result<PingReport, VismaError> {
        let report = self.visma.ping()?;
        if self.settings.document_type == crate::settings::DocumentType::SalesOrder {
            self.visma.ping_sales_orders()?;
        }
        Ok(report)
    }

    /// Pauses the queue after a configuration error (or refreshes the reason of the pause in force).
    pub(crate) fn pause(&self, reason: &str, setting: Option<&str>) -> Result<(), EngineError> {
        let now = self.clock.now();
        let since = self.store.pause()?.map_or(now, |p| p.since);
        self.store.set_pause(&Pause {
            reason: reason.to_owned(),
            setting: setting.map(str::to_owned),
            since,
            tested_at: now,
        })?;
        Ok(())
    }

    /// Tests the connection (read-only calls); when it passes, a pause is cleared and sending resumes.
    ///
    /// # Errors
    /// The test's [`VismaError`] (the pause stays); store errors are reported as a warning and do not hide a good test.
    pub fn test_and_resume(&self) -> Result<PingReport, VismaError> {
        let report = self.connection_test()?;
        if let Err(e) = self.store.clear_pause(self.clock.now()) {
            tracing::warn!(error = %e, "connection test passed but the pause could not be cleared");
        }
        Ok(report)
    }
}
