//! `target=SERIAL` on a Panorama: the request is answered by that managed firewall's own state
//! (its policy match, registered IPs and dynamic address groups, system info, jobs), after
//! Panorama authenticated the caller with Panorama's key [doc: "Query a Firewall from
//! Panorama"; code: pan-python sets `target` on op and user-id].
//!
//! Proxied: `type=op`, `type=user-id` and `type=version`. Other types with `target` are
//! refused (panos-sim does not proxy configuration or commits [?]). An unknown serial or a
//! disconnected firewall answers an error without code [? texts]. On a standalone firewall
//! `target` is ignored, as pan-os-python only sends it through Panorama [code].
//!
//! This module must never change Panorama's own state.

use std::time::Instant;

use crate::api::{self, ApiRequest};
use crate::failure::{ApiFailure, code};
use crate::panorama::Personality;
use crate::response::Reply;
use crate::state::{SimState, Stats};
use crate::{ops, userid};

pub fn proxy(
    state: &mut SimState,
    req: &ApiRequest,
    kind: &str,
    serial: &str,
    admin: &str,
    now: Instant,
) -> Result<Reply, ApiFailure> {
    let Personality::Panorama(panorama) = &mut state.personality else {
        return Err(ApiFailure::uncoded("target is only valid on Panorama"));
    };
    let Some(device) = panorama.devices.get_mut(serial) else {
        return Err(ApiFailure::uncoded(format!(
            "Device {serial} is not managed by Panorama"
        )));
    };
    if !device.connected {
        return Err(ApiFailure::uncoded(format!(
            "Device {serial} is not connected to Panorama"
        )));
    }
    let fw = &mut device.state;
    fw.advance(now);
    fw.stats.requests += 1;
    Stats::count(&mut fw.stats.by_type, kind);
    match kind {
        "op" => ops::op(fw, req, admin, now),
        "user-id" => userid::user_id(fw, req, now),
        "version" => Ok(api::version(fw)),
        other => Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!("type={other} with target is not supported by panos-sim"),
        )),
    }
}
