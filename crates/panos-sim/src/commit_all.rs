//! Panorama's push, `type=commit&action=all&cmd=<commit-all><shared-policy>…`: the request,
//! the `CommitAll` job's per-device part, and delivering each device's push once it is due.
//!
//! Timing: the job runs in Panorama's job queue like a commit (PEND → ACT → FIN over the commit
//! duration) and takes Panorama's **running** configuration when it finishes. Each target device
//! then finishes half a commit duration after the job: until then its entry reads
//! `<result>PEND</result>` although the job is FIN, as on a real Panorama (§6 [dev]), which is
//! why pan-os-python's `sync_all` keeps polling. The job's own result is `OK` once it ran, even
//! when devices fail: it is decided while device results are still pending [? inferred from
//! that capture; pan-os-python's `success` also requires every device OK].
//!
//! Shapes: enqueue `<result><msg><line>Push job enqueued with jobid N</line></msg><job>N</job>`
//! [code: demisto/content Panorama test mocks]; the job adds `<push_type>shared-policy`,
//! `<dgname>` and `<devices><entry><serial-no/><devicename/><multi-vsys/><vsys/><status/>
//! <result/><tstart/><tfin/><details><msg><errors><line/></errors><warnings/></msg></details>`
//! [dev: demisto/content `test_data/push_to_device_success.xml`]; a device that took the push
//! reports status `commit succeeded` and the line `Configuration committed successfully` under
//! `errors` (as the capture does); failures status `commit failed` [?] with the lines below.
//!
//! This module must never change Panorama's own configuration.

use std::time::{Instant, SystemTime};

use crate::api::ApiRequest;
use crate::clock;
use crate::failure::{ApiFailure, code};
use crate::jobs::JobKind;
use crate::panorama::{Panorama, Personality};
use crate::push::{device_group, pushed_config, zone_problems};
use crate::response::{self, Reply};
use crate::state::{FaultPlan, SimState};
use crate::xml::Element;

/// One device a push goes to, and how it ended once delivered.
#[derive(Debug, Clone)]
pub struct DevicePush {
    pub serial: String,
    pub devicename: String,
    pub device_group: String,
    pub outcome: Option<DeviceOutcome>,
}

#[derive(Debug, Clone)]
pub struct DeviceOutcome {
    pub ok: bool,
    pub status: &'static str,
    pub errors: Vec<String>,
    pub finished: Instant,
}

/// What a `CommitAll` job pushes: its device groups and targets, and (once it ran) the
/// Panorama running configuration it took.
#[derive(Debug, Clone)]
pub struct PushPlan {
    pub device_groups: Vec<String>,
    pub targets: Vec<DevicePush>,
    pub snapshot: Option<Element>,
}

fn invalid(line: String) -> ApiFailure {
    ApiFailure::new(code::INVALID_OBJECT, line)
}

/// One device group a `<commit-all>` names, and the serials it narrows the push to.
struct RequestedGroup {
    name: String,
    devices: Option<Vec<String>>,
}

/// The device groups a `<commit-all>` names.
fn requested_groups(cmd: &Element) -> Result<Vec<RequestedGroup>, ApiFailure> {
    if cmd.name != "commit-all" {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!(" {} is unexpected", cmd.name),
        ));
    }
    let Some(policy) = cmd.child("shared-policy") else {
        let what = cmd.children.first().map(|c| c.name.as_str()).unwrap_or("");
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!(" commit-all -> {what} is not supported by panos-sim"),
        ));
    };
    let dg = policy.child("device-group").ok_or_else(|| {
        ApiFailure::new(
            code::INVALID_COMMAND,
            " commit-all -> shared-policy -> device-group is missing",
        )
    })?;
    // pan-python's legacy form names the group as text: <device-group>DG</device-group>.
    if dg.children.is_empty() {
        return Ok(vec![RequestedGroup {
            name: dg.text.trim().to_string(),
            devices: None,
        }]);
    }
    Ok(dg
        .children_named("entry")
        .map(|e| {
            let devices = e.child("devices").map(|d| {
                d.children_named("entry")
                    .filter_map(|x| x.entry_name())
                    .map(str::to_string)
                    .collect()
            });
            RequestedGroup {
                name: e.entry_name().unwrap_or_default().to_string(),
                devices,
            }
        })
        .collect())
}

/// `type=commit&action=all`: checks the request and enqueues the `CommitAll` job.
pub fn enqueue(
    state: &mut SimState,
    req: &ApiRequest,
    admin: &str,
    now: Instant,
) -> Result<Reply, ApiFailure> {
    let Personality::Panorama(panorama) = &state.personality else {
        return Err(ApiFailure::new(
            code::INVALID_COMMAND,
            "commit action 'all' is not supported on a firewall",
        ));
    };
    let raw = req
        .param("cmd")
        .ok_or_else(|| ApiFailure::malformed("Missing parameter cmd"))?;
    let cmd = Element::parse(raw).map_err(|_| ApiFailure::malformed("Malformed Request"))?;
    let description = cmd
        .descend(&["shared-policy", "description"])
        .map(|d| d.text.clone())
        .unwrap_or_default();
    let mut targets = Vec::new();
    let mut groups = Vec::new();
    for RequestedGroup {
        name,
        devices: narrowed,
    } in requested_groups(&cmd)?
    {
        if name.is_empty() {
            // panos-xml-api.md §6 [dev].
            return Err(invalid(
                "commit-all -> shared-policy -> device-group ->  '' needs to be at least 1 character"
                    .into(),
            ));
        }
        if device_group(&state.store.running, &name).is_none() {
            return Err(invalid(format!(
                " commit-all -> shared-policy -> device-group -> '{name}' is not a valid reference"
            )));
        }
        let members = panorama.members(&name);
        let serials: Vec<String> = match narrowed {
            None => members.iter().map(|s| s.to_string()).collect(),
            Some(list) => {
                if let Some(bad) = list.iter().find(|s| !members.contains(&s.as_str())) {
                    return Err(invalid(format!(
                        " commit-all -> shared-policy -> device-group -> {name} -> devices '{bad}' is not a valid reference"
                    )));
                }
                list
            }
        };
        for serial in serials {
            let devicename = panorama.devices[&serial].hostname.clone();
            targets.push(DevicePush {
                serial,
                devicename,
                device_group: name.clone(),
                outcome: None,
            });
        }
        groups.push(name);
    }
    state.locks.check_commit(admin)?;
    let plan = PushPlan {
        device_groups: groups,
        targets,
        snapshot: None,
    };
    let id = state
        .jobs
        .enqueue(admin, &description, JobKind::CommitAll(Box::new(plan)), now);
    state.stats.commit_all_requests += 1;
    state.advance(now);
    Ok(Reply::ok(response::result(
        Some(code::SUCCESS_READ),
        &format!("<msg><line>Push job enqueued with jobid {id}</line></msg><job>{id}</job>"),
    )))
}

/// Delivers every device push that is due at `now` (see the module docs for timing).
pub fn deliver_due(state: &mut SimState, now: Instant) {
    let half = state.jobs.duration / 2;
    let SimState {
        jobs,
        personality,
        faults,
        stats,
        ..
    } = state;
    let Personality::Panorama(panorama) = personality else {
        return;
    };
    for (finished, plan) in jobs.pushes_mut() {
        let due = finished + half;
        if due > now {
            continue;
        }
        let Some(snapshot) = plan.snapshot.clone() else {
            continue;
        };
        for target in plan.targets.iter_mut().filter(|t| t.outcome.is_none()) {
            let outcome = deliver(panorama, faults, &snapshot, target, due);
            stats.pushes += 1;
            if !outcome.ok {
                stats.pushes_failed += 1;
            }
            target.outcome = Some(outcome);
        }
    }
}

fn take(counts: &mut std::collections::BTreeMap<String, u32>, serial: &str) -> bool {
    match counts.get_mut(serial) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

/// Pushes `snapshot`'s policy for the target's device group to the target device.
fn deliver(
    panorama: &mut Panorama,
    faults: &mut FaultPlan,
    snapshot: &Element,
    target: &DevicePush,
    at: Instant,
) -> DeviceOutcome {
    let fail = |errors: Vec<String>| DeviceOutcome {
        ok: false,
        status: "commit failed",
        errors,
        finished: at,
    };
    let ok = || DeviceOutcome {
        ok: true,
        status: "commit succeeded",
        errors: vec!["Configuration committed successfully".into()],
        finished: at,
    };
    let Some(device) = panorama.devices.get_mut(&target.serial) else {
        return fail(vec![format!("device {} is not managed", target.serial)]);
    };
    if !device.connected {
        // [?] text.
        return fail(vec![format!(
            "Device {} is not connected to Panorama",
            target.serial
        )]);
    }
    if take(&mut faults.fail_pushes, &target.serial) {
        return fail(vec![
            " Commit failed: injected push failure (panos-sim fault)".into(),
        ]);
    }
    let Some(pushed) = pushed_config(snapshot, &target.device_group, &target.serial) else {
        return fail(vec![format!(
            "device-group {} does not exist",
            target.device_group
        )]);
    };
    if take(&mut faults.out_of_sync_pushes, &target.serial) {
        device.forced_out_of_sync = true;
        return ok();
    }
    let problems = zone_problems(&device.state.store.running, &pushed);
    if !problems.is_empty() {
        let mut lines = vec!["Validation Error:".to_string()];
        lines.extend(problems);
        lines.push("Commit failed".into());
        return fail(lines);
    }
    device.state.store.install_pushed(&pushed);
    device.forced_out_of_sync = false;
    ok()
}

/// The `<devices>` of a `CommitAll` job; `wall` turns instants into wall-clock times and
/// `finished` is when the job itself finished.
pub fn devices_xml(
    plan: &PushPlan,
    finished: Option<Instant>,
    wall: impl Fn(Instant) -> SystemTime,
) -> Element {
    let mut devices = Element::new("devices");
    for t in &plan.targets {
        let (status, result, tfin, errors) = match &t.outcome {
            Some(o) => (
                o.status,
                if o.ok { "OK" } else { "FAIL" },
                clock::time_of_day(wall(o.finished)),
                o.errors.clone(),
            ),
            None => ("", "PEND", String::new(), Vec::new()),
        };
        let tstart = finished
            .map(|f| clock::time_of_day(wall(f)))
            .unwrap_or_default();
        let mut error_lines = Element::new("errors");
        for l in errors {
            error_lines.push(Element::leaf("line", l));
        }
        let msg = Element::new("msg")
            .with_attr("cmd", "push-data")
            .with_attr("dname", t.serial.clone())
            .with_attr("dgname", t.device_group.clone())
            .with_child(error_lines)
            .with_child(Element::new("warnings"));
        devices.push(
            Element::new("entry")
                .with_child(Element::leaf("serial-no", t.serial.clone()))
                .with_child(Element::leaf("devicename", t.devicename.clone()))
                .with_child(Element::leaf("multi-vsys", "no"))
                .with_child(Element::new("vsys"))
                .with_child(Element::leaf("status", status))
                .with_child(Element::leaf("result", result))
                .with_child(Element::leaf("tstart", tstart))
                .with_child(Element::leaf("tfin", tfin))
                .with_child(Element::new("details").with_child(msg)),
        );
    }
    devices
}
