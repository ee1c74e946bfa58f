//! One security rule, resolved once, and how it relates to one allowance: does it match some of
//! the allowance's traffic (`intersects`), and all of it (`covers`)?
//!
//! A rule is a product of independent columns (zones, source, destination, application ×
//! service), so it meets the allowance when every column does and covers it when every column
//! does. Negation swaps the two for its column: the complement of a set covers what the set
//! misses. A rule with a condition palosync does not evaluate (source user, URL category, HIP
//! profile, schedule, a rule type other than universal, or an element the reader does not model)
//! matches only part of what its columns say: it never covers, and it meets whenever the
//! columns meet. Source: panos-xml-api.md section 4 (security rule entry) and section 9
//! (first-match evaluation, zones `any`, negate).

use super::Tri;
use super::addresses::{AddressBook, AddressMatch, span_of_net, whole_family};
use super::intervals::Intervals;
use super::traffic::{ServiceBook, Traffic, TrafficColumns};
use crate::desired::Allowance;
use crate::firewall::{DeviceObjects, MatchConditions, ObservedRule, ObservedService};
use crate::services::ServiceMatch;
use crate::sources::{IpFamily, Source};
use ipnet::IpNet;
use model::Settings;

/// The name tables a rulebase's columns are resolved against.
#[derive(Debug)]
pub struct RulebaseBooks<'a> {
    addresses: AddressBook<'a>,
    services: ServiceBook<'a>,
}

impl<'a> RulebaseBooks<'a> {
    pub fn new(services: &'a [ObservedService], objects: &'a DeviceObjects) -> Self {
        Self {
            addresses: AddressBook::new(objects),
            services: ServiceBook::new(services, objects),
        }
    }
}

/// How a rule relates to an allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    pub intersects: Tri,
    pub covers: Tri,
}

/// An allowance as sets: its family, source span, destination, and traffic.
#[derive(Debug, Clone)]
pub struct Subject {
    family: IpFamily,
    source: Intervals,
    destination: Intervals,
    traffic: Traffic,
}

impl Subject {
    pub fn of(allowance: &Allowance) -> Self {
        let family = IpFamily::of(&allowance.destination);
        Self {
            family,
            source: match allowance.source {
                Source::Any => whole_family(family),
                Source::Net(net) => span_of_net(net).1,
            },
            destination: span_of_net(IpNet::from(allowance.destination)).1,
            traffic: Traffic::of(&allowance.service),
        }
    }
}

impl Subject {
    /// Traffic from `source` to a whole network (group mode: a subnet, so that any member that
    /// appears in it later is covered too). `Source::Any` is the network's family.
    pub fn towards(source: Source, destination: IpNet, service: &ServiceMatch) -> Self {
        let (family, span) = span_of_net(destination.trunc());
        Self {
            family,
            source: match source {
                Source::Any => whole_family(family),
                Source::Net(net) => span_of_net(net).1,
            },
            destination: span,
            traffic: Traffic::of(service),
        }
    }
}

/// A rule's match columns, resolved.
#[derive(Debug, Clone)]
pub struct RulePolicy {
    zones: Tri,
    sources: AddressMatch,
    destinations: AddressMatch,
    negate_source: bool,
    negate_destination: bool,
    traffic: TrafficColumns,
    restricted: bool,
}

impl RulePolicy {
    /// Resolve `rule` for traffic from the untrust zone to the trust zone of `settings`.
    pub fn resolve(rule: &ObservedRule, books: &RulebaseBooks<'_>, settings: &Settings) -> Self {
        let zone = |zones: &[String], zone: &str| {
            if zones.is_empty() {
                Tri::Maybe
            } else {
                Tri::from_bool(zones.iter().any(|z| z == "any" || z == zone))
            }
        };
        Self {
            zones: zone(&rule.from_zones, &settings.untrust_zone)
                .and(zone(&rule.to_zones, &settings.trust_zone)),
            sources: books.addresses.column(&rule.sources),
            destinations: books.addresses.column(&rule.destinations),
            negate_source: rule.negate_source,
            negate_destination: rule.negate_destination,
            traffic: books.services.columns(&rule.applications, &rule.services),
            restricted: restricted(&rule.conditions),
        }
    }

    pub fn relation(&self, subject: &Subject) -> Relation {
        let family = subject.family;
        let src = column(&self.sources, family, &subject.source, self.negate_source);
        let dst = column(
            &self.destinations,
            family,
            &subject.destination,
            self.negate_destination,
        );
        let traffic = self.traffic.relation(&subject.traffic);
        let intersects = self
            .zones
            .and(src.intersects)
            .and(dst.intersects)
            .and(traffic.intersects);
        let covers = self
            .zones
            .and(src.covers)
            .and(dst.covers)
            .and(traffic.covers);
        Relation {
            intersects,
            covers: if self.restricted { Tri::No } else { covers },
        }
    }
}

/// An address column against a span of one family.
fn column(matched: &AddressMatch, family: IpFamily, span: &Intervals, negate: bool) -> Relation {
    let sure = matched.sure.family(family);
    let maybe = matched.maybe.family(family);
    let covers = if sure.contains_all(span) {
        Tri::Yes
    } else if maybe.contains_all(span) {
        Tri::Maybe
    } else {
        Tri::No
    };
    let intersects = if sure.intersects(span) {
        Tri::Yes
    } else if maybe.intersects(span) {
        Tri::Maybe
    } else {
        Tri::No
    };
    if negate {
        // The complement covers the span exactly when the column misses all of it.
        Relation {
            intersects: covers.negate(),
            covers: intersects.negate(),
        }
    } else {
        Relation { intersects, covers }
    }
}

/// Whether the rule matches on something beyond zones, addresses, applications and services.
fn restricted(conditions: &MatchConditions) -> bool {
    let set = |members: &[String]| members.iter().any(|m| m.trim() != "any");
    set(&conditions.source_users)
        || set(&conditions.categories)
        || set(&conditions.source_hip)
        || set(&conditions.destination_hip)
        || conditions.schedule.is_some()
        || conditions
            .rule_type
            .as_deref()
            .is_some_and(|t| t != "universal")
        || !conditions.unmodelled.is_empty()
}
