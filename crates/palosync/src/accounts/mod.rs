//! One deployment serving many accounts and regions (`PALOSYNC_ACCOUNTS`): each (account,
//! region) is read through its own inventory (the member account's role, its region), and the
//! reads are merged into the one topology the planner decides from.
//!
//! Every key travels with the place its event came from (`recipientAccountId`, `awsRegion`)
//! and is read only there, so two accounts' `i-…` never mix. A key that claims everything
//! (`Everything`, or one naming what its read no longer holds) claims only its own place: it
//! becomes the VPCs that place's read holds, unless every served place was read whole this run.
//! A place that cannot be read (its role cannot be assumed, its API refuses, its read conflicts
//! with another's) is left out of this run and reported; the others go ahead, and the run fails
//! naming it, so the event comes again and the next run catches up.

mod failed;
mod merge;

pub use failed::{AccountsFailed, FailedAccount};

use crate::config::ServedAccount;
use aws::{Inventory, InventoryError, InventoryOptions, SdkConfig, SdkInventory};
use merge::Answer;
use model::{AccountRegion, Provenance, ReadTargets, ReconcileKey, Topology};
use std::collections::BTreeMap;

/// The keys asked of each place.
pub type Asked = BTreeMap<AccountRegion, Vec<ReconcileKey>>;

/// Where an event's resources live. An event naming neither (a schedule, `sync`) or only one of
/// the two is asked of every place: ids absent from a place it does not belong to are not
/// taken for gone (see `merge`).
pub fn place_of(provenance: &Provenance) -> Option<AccountRegion> {
    match (&provenance.account, &provenance.region) {
        (Some(account), Some(region)) => Some(AccountRegion::new(account, region)),
        _ => None,
    }
}

/// One account and region, and the inventory that reads it.
#[derive(Debug)]
pub struct Place {
    pub at: AccountRegion,
    /// The role assumed to read it; `None`: the deployment's own credentials.
    pub role_arn: Option<String>,
    pub inventory: SdkInventory,
}

/// The served places, and the deployment's own inventory for what is not per place (CloudTrail
/// log objects in S3, fleet discovery).
#[derive(Debug)]
pub struct Accounts {
    pub home: SdkInventory,
    pub places: Vec<Place>,
}

/// What the run reads and plans: the merged topology, the planner's keys, and what was asked
/// of each place (for the reread of claimed targets).
#[derive(Debug)]
pub struct AccountsRead {
    pub topology: Topology,
    pub scope: Vec<(ReconcileKey, Provenance)>,
    pub asked: Asked,
    pub failed: Vec<FailedAccount>,
    /// Keys whose absence could not be confirmed (a failed place may hold them).
    pub unconfirmed: Vec<ReconcileKey>,
}

impl Accounts {
    /// One inventory per served account and region, over the deployment's own configuration.
    pub async fn new(
        base: &SdkConfig,
        accounts: &[ServedAccount],
        options: InventoryOptions,
    ) -> Self {
        let mut places = Vec::new();
        for account in accounts {
            for at in account.served() {
                let config = aws::config_for(base, &at.region, account.role_arn.as_deref()).await;
                places.push(Place {
                    at,
                    role_arn: account.role_arn.clone(),
                    inventory: SdkInventory::new(&config, options.clone()),
                });
            }
        }
        Self {
            home: SdkInventory::new(base, options),
            places,
        }
    }

    pub fn served(&self) -> impl Iterator<Item = &AccountRegion> {
        self.places.iter().map(|p| &p.at)
    }

    fn place(&self, at: &AccountRegion) -> Option<&Place> {
        self.places.iter().find(|p| &p.at == at)
    }

    /// AWS calls by operation, over every place and the home inventory.
    pub fn call_count(&self) -> BTreeMap<String, u64> {
        let mut calls = self.home.call_count().by_operation;
        for place in &self.places {
            for (operation, n) in place.inventory.call_count().by_operation {
                *calls.entry(operation).or_default() += n;
            }
        }
        calls
    }

    /// Read each place's keys (`triggers` already sorted by place), merge, and turn the keys into
    /// the planner's. A global key (a schedule, `sync`: no place) is asked of every place.
    pub async fn read(
        &self,
        triggers: Vec<(Option<AccountRegion>, ReconcileKey, Provenance)>,
    ) -> AccountsRead {
        let mut asked: Asked = BTreeMap::new();
        for (at, key, _) in &triggers {
            let places: Vec<&AccountRegion> = match at {
                Some(at) => vec![at],
                None => self.served().collect(),
            };
            for at in places {
                let keys = asked.entry(at.clone()).or_default();
                if !keys.contains(key) {
                    keys.push(key.clone());
                }
            }
        }
        let (answers, mut failed) = self.ask(&asked, None).await;
        let whole = self.places.iter().all(|p| {
            asked
                .get(&p.at)
                .is_some_and(|keys| keys.contains(&ReconcileKey::Everything))
        }) && failed.is_empty();
        let (mut answers, conflicted) = without_conflicts(answers, self);
        let whole = whole && conflicted.is_empty();
        failed.extend(conflicted);
        let confirmed = self.confirm_absences(&mut answers, &mut failed).await;
        let by_place: BTreeMap<&AccountRegion, &Topology> =
            answers.iter().map(|a| (&a.place, &a.topology)).collect();
        let mut scope = Vec::new();
        for (at, key, provenance) in triggers {
            let places: Vec<&AccountRegion> = match &at {
                Some(at) => vec![at],
                None => self.served().collect(),
            };
            for place in places {
                let Some(topology) = by_place.get(place) else {
                    continue;
                };
                let keys = if whole || !planner::focus::claims_everything(&key, topology) {
                    vec![key.clone()]
                } else {
                    topology
                        .vpcs
                        .iter()
                        .map(|v| ReconcileKey::Vpc(v.id.clone()))
                        .collect()
                };
                for key in keys {
                    if !scope.iter().any(|(k, _)| k == &key) {
                        scope.push((key, provenance.clone()));
                    }
                }
            }
        }
        let asked: Asked = asked
            .into_iter()
            .filter(|(at, _)| by_place.contains_key(at))
            .collect();
        let answers = answers.into_iter().chain(confirmed.answers).collect();
        AccountsRead {
            topology: merge::merge(answers, false),
            scope,
            asked,
            failed,
            unconfirmed: confirmed.unconfirmed,
        }
    }

    /// The reread of what managed rules in scope point at: each place's keys again, and the
    /// targets asked of every served place (a rule may point at any of them). A place that
    /// fails here fails the run: the targets' absence could not be told from "not read".
    pub async fn reread(
        &self,
        asked: &Asked,
        targets: &ReadTargets,
    ) -> Result<Topology, AccountsFailed> {
        let mut everywhere = asked.clone();
        for at in self.served() {
            everywhere.entry(at.clone()).or_default();
        }
        let (answers, failed) = self.ask(&everywhere, Some(targets)).await;
        let (mut answers, conflicted) = without_conflicts(answers, self);
        let mut failed: Vec<FailedAccount> = failed.into_iter().chain(conflicted).collect();
        let mut unconfirmed = Vec::new();
        if failed.is_empty() {
            let confirmed = self.confirm_absences(&mut answers, &mut failed).await;
            if failed.is_empty() {
                return Ok(merge::merge(
                    answers.into_iter().chain(confirmed.answers).collect(),
                    true,
                ));
            }
            unconfirmed = confirmed.unconfirmed;
        }
        Err(AccountsFailed {
            total: everywhere.len(),
            failed,
            unconfirmed,
            others_reconciled: false,
        })
    }

    /// A key's id its place reports absent (a group deleted, an instance terminated) may still
    /// be another place's: ask the other served places about it too, so absence means absent
    /// everywhere. Costs reads only when something is absent. When a place cannot answer, or
    /// its answer conflicts, the absence is taken back (unknown: the planner keeps what it
    /// allows) and that place is returned as failed, so the run reports it and the event
    /// comes again.
    async fn confirm_absences(
        &self,
        answers: &mut Vec<Answer>,
        failed: &mut Vec<FailedAccount>,
    ) -> Confirmed {
        let mut asks: Asked = BTreeMap::new();
        for answer in answers.iter() {
            let absent = merge::absent_keys(answer);
            for at in self.served().filter(|at| **at != answer.place) {
                let keys = asks.entry(at.clone()).or_default();
                keys.extend(
                    absent
                        .iter()
                        .filter(|k| !keys.contains(k))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
            }
        }
        asks.retain(|_, keys| !keys.is_empty());
        // A place that already failed this run is not asked again (one more STS or EC2
        // timeout against the deadline): what it would confirm waits for it.
        let (down, reachable): (Asked, Asked) =
            asks.into_iter().partition(|(at, _)| is_listed(at, failed));
        if down.is_empty() && reachable.is_empty() {
            return Confirmed::default();
        }
        let (mut confirmations, mut unreachable) = self.ask(&reachable, None).await;
        let mut conflicted: Vec<FailedAccount> = Vec::new();
        let mut all: Vec<&Answer> = answers.iter().collect();
        all.extend(&confirmations);
        for conflict in merge::conflicts_among(&all) {
            let [one, other] = &conflict.places;
            // One place read twice (its keys, then this check) may have changed in between:
            // its first read is the one merged.
            if one == other {
                continue;
            }
            for (at, other) in [(one, other), (other, one)] {
                if !is_listed(at, &unreachable) && !is_listed(at, &conflicted) {
                    let message = format!("it and {other} both hold {}", conflict.what);
                    conflicted.push(self.failure(at, message));
                }
            }
        }
        // Places in conflict are left out whole, as in the first read.
        answers.retain(|a| !is_listed(&a.place, &conflicted));
        confirmations.retain(|a| !is_listed(&a.place, &conflicted));

        let mut unconfirmed: Vec<ReconcileKey> = Vec::new();
        let mut wait = |keys: Option<&Vec<ReconcileKey>>| -> String {
            let keys = keys.map(Vec::as_slice).unwrap_or_default();
            for key in keys {
                if !unconfirmed.contains(key) {
                    unconfirmed.push(key.clone());
                }
            }
            list(keys)
        };
        for failure in unreachable.iter_mut().chain(conflicted.iter_mut()) {
            let waiting = wait(reachable.get(&failure.at()));
            if !waiting.is_empty() {
                failure.message = format!(
                    "could not confirm that these are gone: {waiting}; they are kept until it \
                     can ({})",
                    failure.message
                );
            }
        }
        for (at, keys) in &down {
            let waiting = wait(Some(keys));
            if let Some(failure) = failed.iter_mut().find(|f| &f.at() == at) {
                failure.message = format!(
                    "{}; the removal of {waiting} waits for it as well",
                    failure.message
                );
            }
        }
        for answer in answers.iter_mut() {
            merge::forget_absent(&mut answer.topology, &unconfirmed);
        }
        failed.extend(unreachable);
        failed.extend(conflicted);
        Confirmed {
            answers: confirmations,
            unconfirmed,
        }
    }

    /// `keys` (and `targets`) of every place in `asked`, concurrently.
    async fn ask(
        &self,
        asked: &Asked,
        targets: Option<&ReadTargets>,
    ) -> (Vec<Answer>, Vec<FailedAccount>) {
        let no_targets = ReadTargets::default();
        let targets = targets.unwrap_or(&no_targets);
        let reads = asked.iter().map(|(at, keys)| async move {
            let result = match self.place(at) {
                Some(place) => place.inventory.topology_for_targets(keys, targets).await,
                None => Err(InventoryError::Malformed {
                    operation: "PALOSYNC_ACCOUNTS",
                    resource: at.to_string(),
                    detail: "is not served".into(),
                }),
            };
            (at, keys, result)
        });
        let mut answers = Vec::new();
        let mut failed = Vec::new();
        for (at, keys, result) in futures::future::join_all(reads).await {
            match result {
                Ok(topology) => answers.push(Answer {
                    place: at.clone(),
                    keys: keys.clone(),
                    topology,
                }),
                Err(error) => {
                    tracing::warn!(account = %at.account, region = %at.region, error = %error, "account not read");
                    failed.push(self.failure(at, error.to_string()));
                }
            }
        }
        (answers, failed)
    }

    fn failure(&self, at: &AccountRegion, message: String) -> FailedAccount {
        FailedAccount {
            account: at.account.clone(),
            region: at.region.clone(),
            role_arn: self.place(at).and_then(|p| p.role_arn.clone()),
            message,
        }
    }
}

/// What the other places said of the absent key ids.
#[derive(Default)]
struct Confirmed {
    /// Their reads, merged with the keys' own.
    answers: Vec<Answer>,
    /// The absences taken back: a place that could not answer may hold them.
    unconfirmed: Vec<ReconcileKey>,
}

fn is_listed(at: &AccountRegion, failed: &[FailedAccount]) -> bool {
    failed.iter().any(|f| &f.at() == at)
}

fn list(keys: &[ReconcileKey]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answers that conflict with no other, and a failure for each place that does.
fn without_conflicts(
    answers: Vec<Answer>,
    accounts: &Accounts,
) -> (Vec<Answer>, Vec<FailedAccount>) {
    let conflicts = merge::conflicts(&answers);
    let mut failed: Vec<FailedAccount> = Vec::new();
    for conflict in &conflicts {
        for (at, other) in [
            (&conflict.places[0], &conflict.places[1]),
            (&conflict.places[1], &conflict.places[0]),
        ] {
            if is_listed(at, &failed) {
                continue;
            }
            let message = format!(
                "its read and that of {other} both hold {}: palosync cannot tell them apart \
                 behind one firewall, so neither is reconciled",
                conflict.what
            );
            failed.push(accounts.failure(at, message));
        }
    }
    let answers = answers
        .into_iter()
        .filter(|a| !is_listed(&a.place, &failed))
        .collect();
    (answers, failed)
}
