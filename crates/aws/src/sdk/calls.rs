//! Counting AWS calls by operation, for the efficiency tests and the invocation report.
//!
//! An SDK interceptor sees every operation the clients execute (paginated pages included, each
//! one a call), so the count cannot drift from what the code really sends. Retried attempts of
//! one call count once.

use aws_sdk_ec2::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Calls made so far, by API operation name (`DescribeInstances`, `GetObject`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallCount {
    pub by_operation: BTreeMap<String, u64>,
}

impl CallCount {
    pub fn total(&self) -> u64 {
        self.by_operation.values().sum()
    }

    pub fn of(&self, operation: &str) -> u64 {
        self.by_operation.get(operation).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CallCounter {
    counts: Arc<Mutex<CallCount>>,
}

impl CallCounter {
    pub(crate) fn snapshot(&self) -> CallCount {
        self.counts
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    pub(crate) fn reset(&self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.by_operation.clear();
    }

    fn record(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.by_operation.entry(operation.to_owned()).or_default() += 1;
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "palosync-call-counter"
    }

    // Not `read_before_execution`: client interceptors run that before the operation's
    // configuration (which holds its name) is in the bag. Serialization happens once per call.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or("unknown", Metadata::name);
        self.record(operation);
        Ok(())
    }
}
