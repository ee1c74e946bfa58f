//! `/api/` request dispatch: authentication (key parameter, `X-PAN-KEY`, Basic), keygen, and
//! `type=config|op|commit|user-id|version`, with `type=config` actions implemented here.
//!
//! This module must never touch sockets or sleep: the HTTP layer hands it a parsed request and
//! sends back the [`Reply`].

use std::time::Instant;

use crate::actions::MoveWhere;
use crate::failure::{ApiFailure, code};
use crate::response::{self, Reply};
use crate::state::{SimState, Stats};
use crate::store::{Applied, WriteOp};
use crate::xml::{Element, parse_fragment};
use crate::xpath::{XPath, node_at};
use crate::{commit, ops, userid};

/// One `/api/` call: query and form parameters merged (query first), plus credentials from
/// headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiRequest {
    pub params: Vec<(String, String)>,
    pub header_key: Option<String>,
    pub basic_auth: Option<(String, String)>,
}

impl ApiRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str, Reply> {
        self.param(name)
            .ok_or_else(|| Reply::bad_request(&format!("Missing parameter \"{name}\".")))
    }
}

/// Handles one request against the simulator state.
pub fn handle(state: &mut SimState, req: &ApiRequest, now: Instant) -> Reply {
    state.advance(now);
    state.stats.requests += 1;
    let reply = dispatch(state, req, now);
    if reply.http_status != 200 || reply.body.starts_with("<response status=\"error\"") {
        state.stats.error_responses += 1;
    }
    reply
}

fn dispatch(state: &mut SimState, req: &ApiRequest, now: Instant) -> Reply {
    let kind = match req.require("type") {
        Ok(k) => k.to_string(),
        Err(r) => return r,
    };
    Stats::count(&mut state.stats.by_type, &kind);
    if kind == "keygen" {
        return keygen(state, req);
    }
    let admin = match authenticate(state, req) {
        Some(a) => a,
        None => {
            state.stats.auth_failures += 1;
            return Reply::forbidden();
        }
    };
    if let Some(serial) = req.param("target").filter(|_| state.is_panorama()) {
        return match crate::target::proxy(state, req, &kind, serial, &admin, now) {
            Ok(reply) => reply,
            Err(failure) => Reply::ok(response::error(&failure)),
        };
    }
    let outcome = match kind.as_str() {
        "config" => config(state, req, &admin),
        "op" => ops::op(state, req, &admin, now),
        "commit" => commit::commit(state, req, &admin, now),
        "version" => Ok(version(state)),
        "user-id" => userid::user_id(state, req, now),
        other => {
            return Reply::bad_request(&format!("Illegal value for parameter \"type\" [{other}]."));
        }
    };
    match outcome {
        Ok(reply) => reply,
        Err(failure) => Reply::ok(response::error(&failure)),
    }
}

fn authenticate(state: &SimState, req: &ApiRequest) -> Option<String> {
    if let Some(key) = req.param("key").or(req.header_key.as_deref()) {
        return state.admin_by_key(key).map(|a| a.name.clone());
    }
    let (user, pass) = req.basic_auth.as_ref()?;
    state.admin_by_password(user, pass).map(|a| a.name.clone())
}

fn keygen(state: &SimState, req: &ApiRequest) -> Reply {
    let (Some(user), Some(password)) = (req.param("user"), req.param("password")) else {
        return Reply::forbidden();
    };
    match state.admin_by_password(user, password) {
        Some(a) => Reply::ok(response::result(None, &format!("<key>{}</key>", a.key))),
        None => Reply::forbidden(),
    }
}

pub(crate) fn version(state: &SimState) -> Reply {
    let s = &state.settings;
    Reply::ok(response::result(
        None,
        &format!(
            "<sw-version>{}</sw-version><multi-vsys>off</multi-vsys><model>{}</model><serial>{}</serial>",
            s.sw_version,
            ops::model(state),
            s.serial
        ),
    ))
}

fn param_or_failure<'a>(req: &'a ApiRequest, name: &str) -> Result<&'a str, ApiFailure> {
    req.param(name)
        .ok_or_else(|| ApiFailure::malformed(format!("Missing parameter {name}")))
}

fn elements_param(req: &ApiRequest) -> Result<Vec<Element>, ApiFailure> {
    let raw = param_or_failure(req, "element")?;
    parse_fragment(raw).map_err(|e| ApiFailure::malformed(format!("Malformed Request: {e}")))
}

fn config(state: &mut SimState, req: &ApiRequest, admin: &str) -> Result<Reply, ApiFailure> {
    let action = param_or_failure(req, "action")?.to_string();
    Stats::count(&mut state.stats.by_action, &action);
    match action.as_str() {
        "get" => read(state.store.candidate(), req, true),
        "show" => read(&state.store.running, req, false),
        "multi-config" => multi_config(state, req, admin),
        "set" | "edit" | "delete" | "move" | "rename" | "clone" => {
            let xpath = param_or_failure(req, "xpath")?.to_string();
            let op = write_op(
                &action,
                xpath,
                |name| req.param(name).map(str::to_string),
                || elements_param(req),
            )?;
            state.locks.check_write(admin)?;
            Ok(Reply::ok(match state.store.write(admin, op)? {
                Applied::Changed => response::success_msg(code::SUCCESS_WRITE, "command succeeded"),
                Applied::Absent => {
                    response::success_msg(code::OBJECT_NOT_PRESENT, "Object doesn't exist")
                }
            }))
        }
        other => Err(ApiFailure::new(
            code::UNKNOWN_COMMAND,
            format!("Illegal value for parameter \"action\" [{other}]."),
        )),
    }
}

/// Builds a write from an action name, its parameters and its element.
fn write_op(
    action: &str,
    xpath: String,
    param: impl Fn(&str) -> Option<String>,
    elements: impl FnOnce() -> Result<Vec<Element>, ApiFailure>,
) -> Result<WriteOp, ApiFailure> {
    let need = |name: &str| {
        param(name).ok_or_else(|| ApiFailure::malformed(format!("Missing parameter {name}")))
    };
    Ok(match action {
        "set" => WriteOp::Set {
            xpath,
            elements: elements()?,
        },
        "edit" => {
            let mut els = elements()?;
            if els.len() != 1 {
                return Err(ApiFailure::malformed("edit requires exactly one element"));
            }
            WriteOp::Edit {
                xpath,
                element: els.swap_remove(0),
            }
        }
        "delete" => WriteOp::Delete { xpath },
        "move" => WriteOp::Move {
            xpath,
            whereto: MoveWhere::parse(&need("where")?, param("dst").as_deref())?,
        },
        "rename" => WriteOp::Rename {
            xpath,
            new_name: need("newname")?,
        },
        "clone" => WriteOp::Clone {
            xpath,
            from: need("from")?,
            new_name: need("newname")?,
        },
        other => {
            return Err(ApiFailure::new(
                code::UNKNOWN_COMMAND,
                format!("{other} is not a multi-config action"),
            ));
        }
    })
}

/// `get` (candidate) and `show` (running).
fn read(root: &Element, req: &ApiRequest, candidate: bool) -> Result<Reply, ApiFailure> {
    let xpath = XPath::parse(param_or_failure(req, "xpath")?)?;
    let hits = xpath.select(root);
    if hits.is_empty() {
        return Ok(Reply::ok(if candidate {
            "<response status=\"success\" code=\"7\"><result/></response>".to_string()
        } else {
            response::error(&ApiFailure::uncoded("No such node"))
        }));
    }
    let mut inner = String::new();
    for path in &hits {
        let Some(node) = node_at(root, path) else {
            continue;
        };
        match xpath.selects_attribute() {
            Some(attr) => {
                let mut bare = Element::new(node.name.clone());
                if let Some(v) = node.attr(attr) {
                    bare.set_attr(attr, v);
                }
                bare.write_xml(&mut inner);
            }
            None => node.write_xml(&mut inner),
        }
    }
    Ok(Reply::ok(if candidate {
        format!(
            "<response status=\"success\" code=\"19\"><result total-count=\"{n}\" count=\"{n}\">{inner}</result></response>",
            n = hits.len()
        )
    } else {
        response::result(None, &inner)
    }))
}

/// `multi-config`: every sub-action or none; nested responses; code 13 on failure. With
/// `strict-transactional=yes`: refused (code 13 `A commit is in progress.` [?]) while any
/// admin's commit is queued or running, else the caller's own uncommitted changes are reverted
/// first and the batch applied atomically (a failed batch leaves even the revert undone [?]).
fn multi_config(state: &mut SimState, req: &ApiRequest, admin: &str) -> Result<Reply, ApiFailure> {
    let root = elements_param(req)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiFailure::malformed("multi-config requires an element"))?;
    let mut ops = Vec::new();
    let mut ids = Vec::new();
    for child in root.children.iter() {
        let xpath = child
            .attr("xpath")
            .ok_or_else(|| ApiFailure::malformed(format!("{} is missing xpath", child.name)))?
            .to_string();
        let content: Vec<Element> = child.children.iter().map(|c| c.as_ref().clone()).collect();
        ops.push(write_op(
            &child.name,
            xpath,
            |n| child.attr(n).map(str::to_string),
            || Ok(content),
        )?);
        ids.push(child.attr("id").map(str::to_string));
    }
    state.locks.check_write(admin)?;
    let (results, ok) = if req.param("strict-transactional") == Some("yes") {
        // PAN-OS API guide, "Multi-config request": a strict request fails while a commit is
        // running or pending, and first reverts the caller's own uncommitted changes.
        if state.jobs.commit_outstanding() {
            return Err(ApiFailure::new(
                code::OPERATION_FAILED,
                "A commit is in progress.",
            ));
        }
        state.store.write_all_strict(admin, ops)?
    } else {
        state.store.write_all(admin, ops)
    };
    let mut inner = String::new();
    for (result, id) in results.iter().zip(&ids) {
        let id_attr = id
            .as_ref()
            .map(|i| format!(" id=\"{}\"", crate::xml::escape(i)))
            .unwrap_or_default();
        match result {
            Ok(Applied::Changed) => inner.push_str(&format!(
                "<response status=\"success\" code=\"20\"{id_attr}><msg>command succeeded</msg></response>"
            )),
            Ok(Applied::Absent) => inner.push_str(&format!(
                "<response status=\"success\" code=\"7\"{id_attr}><msg>Object doesn't exist</msg></response>"
            )),
            Err(f) => inner.push_str(&response::error_with_id(f, id.as_deref())),
        }
    }
    Ok(Reply::ok(if ok {
        format!("<response status=\"success\" code=\"20\">{inner}</response>")
    } else {
        format!("<response status=\"error\" code=\"13\">{inner}</response>")
    }))
}
