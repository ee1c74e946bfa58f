//! Test harness: a simulated firewall driven through `api::handle` (the real request path
//! minus sockets), with a controllable clock for job timing.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use panos_sim::api::{ApiRequest, handle};
use panos_sim::{Element, SimState, Simulator};

pub mod pano;

pub const KEY: &str = "test-admin-key";
pub const VSYS: &str =
    "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

pub fn rules_xpath() -> String {
    format!("{VSYS}/rulebase/security/rules")
}

pub struct Fw {
    pub state: SimState,
    pub now: Instant,
}

impl Fw {
    pub fn new() -> Fw {
        Fw::with(Simulator::builder())
    }

    pub fn with(builder: panos_sim::SimulatorBuilder) -> Fw {
        let state = builder
            .api_key(KEY)
            .admin("bob", "bobpw")
            .commit_delay(Duration::from_millis(1000))
            .build_state()
            .expect("default config builds");
        Fw {
            state,
            now: Instant::now(),
        }
    }

    pub fn key_of(&self, admin: &str) -> String {
        self.state
            .admins
            .iter()
            .find(|a| a.name == admin)
            .map(|a| a.key.clone())
            .expect("known admin")
    }

    /// One API call as `admin`, returning the parsed response root.
    pub fn call_as(&mut self, key: &str, params: &[(&str, &str)]) -> Element {
        let mut p: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.push(("key".into(), key.into()));
        let reply = handle(
            &mut self.state,
            &ApiRequest {
                params: p,
                ..Default::default()
            },
            self.now,
        );
        assert_eq!(reply.http_status, 200, "{}", reply.body);
        Element::parse(&reply.body).expect("response is XML")
    }

    pub fn call(&mut self, params: &[(&str, &str)]) -> Element {
        self.call_as(KEY, params)
    }

    pub fn config(&mut self, action: &str, xpath: &str, extra: &[(&str, &str)]) -> Element {
        let mut params = vec![("type", "config"), ("action", action), ("xpath", xpath)];
        params.extend_from_slice(extra);
        self.call(&params)
    }

    pub fn set(&mut self, xpath: &str, element: &str) -> Element {
        self.config("set", xpath, &[("element", element)])
    }

    pub fn edit(&mut self, xpath: &str, element: &str) -> Element {
        self.config("edit", xpath, &[("element", element)])
    }

    pub fn get(&mut self, xpath: &str) -> Element {
        self.config("get", xpath, &[])
    }

    pub fn op(&mut self, cmd: &str) -> Element {
        self.call(&[("type", "op"), ("cmd", cmd)])
    }

    /// Names of candidate rules, in order.
    pub fn rule_names(&mut self) -> Vec<String> {
        let r = self.get(&rules_xpath());
        result_rule_names(&r)
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// Adds a plain allow rule (zones untrust→trust) named `name` for destination `dst`.
    pub fn add_rule(&mut self, name: &str, dst: &str) -> Element {
        let el = format!(
            "<entry name=\"{name}\"><from><member>untrust</member></from><to><member>trust</member></to>\
             <source><member>any</member></source><destination><member>{dst}</member></destination>\
             <application><member>any</member></application><service><member>any</member></service>\
             <action>allow</action></entry>"
        );
        self.set(&rules_xpath(), &el)
    }
}

/// Names of the `<entry>` elements under `result/rules` of a response.
pub fn result_rule_names(resp: &Element) -> Vec<String> {
    resp.descend(&["result", "rules"])
        .map(|rules| {
            rules
                .children_named("entry")
                .filter_map(|e| e.entry_name())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn status(resp: &Element) -> (&str, Option<&str>) {
    (resp.attr("status").unwrap_or(""), resp.attr("code"))
}

/// All `line` texts anywhere under the response, joined by newlines.
pub fn lines(resp: &Element) -> String {
    let mut out = Vec::new();
    collect_lines(resp, &mut out);
    out.join("\n")
}

fn collect_lines(el: &Element, out: &mut Vec<String>) {
    if el.name == "line" || (el.name == "msg" && el.children.is_empty()) {
        out.push(el.text.clone());
    }
    for c in &el.children {
        collect_lines(c, out);
    }
}
