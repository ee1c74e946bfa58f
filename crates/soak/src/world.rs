//! The AWS side of the soak: one VPC in moto, in an account of its own, and the random changes
//! an operator makes to it, each returned with the CloudTrail request that names it. This module
//! changes AWS and says what it changed; it never decides what the firewall should allow (that
//! is [`crate::oracle`]'s job, read back from moto).

use crate::rng::Rng;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{InstanceNetworkInterfaceSpecification, InstanceType, IpPermission};
use serde_json::{Value, json};

/// Destination ports the soak's permissions use; 443 has an App-ID, the others do not.
pub const PORTS: [u16; 3] = [443, 8443, 9443];
/// Sources the soak authorizes: the world, two external blocks, one internal block (never
/// desired: inside the VPC's CIDR).
pub const SOURCES: [&str; 4] = [
    "0.0.0.0/0",
    "198.51.100.0/24",
    "192.0.2.0/24",
    "10.0.5.0/24",
];
/// At most this many instances exist at once (keeps a sequence's sync small).
const MAX_LIVE: usize = 6;

/// One change made in moto and the CloudTrail event that reports it.
#[derive(Debug, Clone)]
pub struct Change {
    pub event_name: &'static str,
    pub request: Value,
    pub response: Option<Value>,
}

/// An instance the soak launched.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub eni: String,
    pub address: String,
    pub terminated: bool,
}

/// The VPC and what lives in it.
#[derive(Debug)]
pub struct World {
    pub ec2: Client,
    pub vpc: String,
    pub firewall: String,
    pub app_subnet: String,
    pub public_subnet: String,
    pub app_table: String,
    pub igw: String,
    pub image: String,
    pub groups: Vec<String>,
    pub instances: Vec<Instance>,
    /// Whether the app subnet's default route goes to the firewall right now.
    pub routed: bool,
}

fn tcp(port: u16, source: &str) -> IpPermission {
    testkit::tcp(i32::from(port), i32::from(port))
        .ip_ranges(testkit::cidr(source))
        .build()
}

fn permission_json(group: &str, port: u16, source: &str) -> Value {
    json!({ "groupId": group, "ipPermissions": { "items": [{
        "ipProtocol": "tcp", "fromPort": port, "toPort": port,
        "ipRanges": { "items": [{ "cidrIp": source }] } }] } })
}

fn instances_json(id: &str) -> Value {
    json!({ "instancesSet": { "items": [{ "instanceId": id }] } })
}

impl World {
    /// Build the VPC: subnets `app` (default route to the firewall) and `public` (to the
    /// internet gateway), groups `web` (443 from anywhere, 22 from inside) and `api` (9443
    /// from 192.0.2.0/24), two instances in `app` and one in `public`.
    pub async fn build(ec2: Client) -> anyhow::Result<World> {
        let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await?;
        let vpc = vpc
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_owned();
        let igw = testkit::internet_gateway(&ec2, &vpc).await;
        let fw_subnet = testkit::create_subnet(&ec2, &vpc, "10.0.10.0/24", None).await;
        let app_subnet = testkit::create_subnet(&ec2, &vpc, "10.0.1.0/24", None).await;
        let public_subnet = testkit::create_subnet(&ec2, &vpc, "10.0.4.0/24", None).await;
        let fw_group = testkit::create_group(&ec2, &vpc, "fw", vec![]).await;
        let inside = testkit::tcp(22, 22)
            .ip_ranges(testkit::cidr("10.0.0.0/16"))
            .build();
        let web =
            testkit::create_group(&ec2, &vpc, "web", vec![tcp(443, "0.0.0.0/0"), inside]).await;
        let api = testkit::create_group(&ec2, &vpc, "api", vec![tcp(9443, "192.0.2.0/24")]).await;
        let images = ec2.describe_images().send().await?;
        let image = images.images()[0].image_id().unwrap_or_default().to_owned();
        let mut world = World {
            ec2,
            vpc: vpc.clone(),
            firewall: String::new(),
            app_subnet,
            public_subnet: public_subnet.clone(),
            app_table: String::new(),
            igw: igw.clone(),
            image,
            groups: vec![web.clone(), api],
            instances: vec![],
            routed: true,
        };
        world.firewall = world.launch(&fw_subnet, &fw_group).await?.id;
        let app_table = world.table(&[&world.app_subnet.clone()]).await?;
        world
            .ec2
            .create_route()
            .route_table_id(&app_table)
            .destination_cidr_block("0.0.0.0/0")
            .instance_id(&world.firewall)
            .send()
            .await?;
        world.app_table = app_table;
        let public_table = world.table(&[&public_subnet, &fw_subnet]).await?;
        world
            .ec2
            .create_route()
            .route_table_id(&public_table)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send()
            .await?;
        for subnet in [
            world.app_subnet.clone(),
            world.app_subnet.clone(),
            public_subnet,
        ] {
            let instance = world.launch(&subnet, &web).await?;
            world.instances.push(instance);
        }
        Ok(world)
    }

    async fn table(&self, subnets: &[&str]) -> anyhow::Result<String> {
        let out = self
            .ec2
            .create_route_table()
            .vpc_id(&self.vpc)
            .send()
            .await?;
        let table = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .unwrap_or_default()
            .to_owned();
        for subnet in subnets {
            self.ec2
                .associate_route_table()
                .route_table_id(&table)
                .subnet_id(*subnet)
                .send()
                .await?;
        }
        Ok(table)
    }

    /// Launch one instance whose primary interface carries `group`.
    async fn launch(&self, subnet: &str, group: &str) -> anyhow::Result<Instance> {
        let nic = InstanceNetworkInterfaceSpecification::builder()
            .device_index(0)
            .subnet_id(subnet)
            .groups(group)
            .build();
        let out = self
            .ec2
            .run_instances()
            .image_id(&self.image)
            .instance_type(InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .network_interfaces(nic)
            .send()
            .await?;
        let instance = &out.instances()[0];
        let eni = instance
            .network_interfaces()
            .first()
            .and_then(|n| n.network_interface_id())
            .unwrap_or_default()
            .to_owned();
        Ok(Instance {
            id: instance.instance_id().unwrap_or_default().to_owned(),
            eni,
            address: instance.private_ip_address().unwrap_or_default().to_owned(),
            terminated: false,
        })
    }

    fn live(&self) -> Vec<usize> {
        (0..self.instances.len())
            .filter(|i| !self.instances[*i].terminated)
            .collect()
    }

    /// Make one random change; `None` when the dice chose something impossible right now.
    pub async fn change(&mut self, rng: &mut Rng) -> anyhow::Result<Option<Change>> {
        let live = self.live();
        let pick = |rng: &mut Rng| (!live.is_empty()).then(|| *rng.pick(&live));
        Ok(match rng.below(9) {
            0 => match pick(rng) {
                Some(i) => self.lifecycle("StartInstances", i).await?,
                None => None,
            },
            1 => match pick(rng) {
                Some(i) => self.lifecycle("StopInstances", i).await?,
                None => None,
            },
            2 if live.len() < MAX_LIVE => self.run(rng).await?,
            3 if live.len() > 1 => match pick(rng) {
                Some(i) => self.lifecycle("TerminateInstances", i).await?,
                None => None,
            },
            4 | 5 => self.authorize(rng).await?,
            6 => self.revoke(rng).await?,
            7 => match pick(rng) {
                Some(i) => self.swap_groups(rng, i).await?,
                None => None,
            },
            _ => self.reroute().await?,
        })
    }

    async fn lifecycle(&mut self, event: &'static str, i: usize) -> anyhow::Result<Option<Change>> {
        let id = self.instances[i].id.clone();
        let ec2 = &self.ec2;
        match event {
            "StartInstances" => drop(ec2.start_instances().instance_ids(&id).send().await?),
            "StopInstances" => drop(ec2.stop_instances().instance_ids(&id).send().await?),
            _ => drop(ec2.terminate_instances().instance_ids(&id).send().await?),
        }
        if event == "TerminateInstances" {
            self.instances[i].terminated = true;
        }
        Ok(Some(Change {
            event_name: event,
            request: instances_json(&id),
            response: None,
        }))
    }

    async fn run(&mut self, rng: &mut Rng) -> anyhow::Result<Option<Change>> {
        let subnet = if rng.chance(0.7) {
            self.app_subnet.clone()
        } else {
            self.public_subnet.clone()
        };
        let group = rng.pick(&self.groups).clone();
        let instance = self.launch(&subnet, &group).await?;
        let change = Change {
            event_name: "RunInstances",
            request: json!({ "instancesSet": { "items": [{ "imageId": self.image, "minCount": 1, "maxCount": 1 }] } }),
            response: Some(
                json!({ "requestId": "r", "instancesSet": { "items": [{ "instanceId": instance.id }] } }),
            ),
        };
        self.instances.push(instance);
        Ok(Some(change))
    }

    async fn authorize(&mut self, rng: &mut Rng) -> anyhow::Result<Option<Change>> {
        let group = rng.pick(&self.groups).clone();
        let (port, source) = (*rng.pick(&PORTS), *rng.pick(&SOURCES));
        let sent = self
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(tcp(port, source))
            .send()
            .await;
        // A duplicate is refused; CloudTrail's record of it carries an errorCode palosync skips.
        Ok(sent.ok().map(|_| Change {
            event_name: "AuthorizeSecurityGroupIngress",
            request: permission_json(&group, port, source),
            response: None,
        }))
    }

    async fn revoke(&mut self, rng: &mut Rng) -> anyhow::Result<Option<Change>> {
        let group = rng.pick(&self.groups).clone();
        let out = self
            .ec2
            .describe_security_groups()
            .group_ids(&group)
            .send()
            .await?;
        let mut held: Vec<(u16, String)> = vec![];
        for permission in out
            .security_groups()
            .iter()
            .flat_map(|g| g.ip_permissions())
        {
            let Some(port) = permission.from_port().and_then(|p| u16::try_from(p).ok()) else {
                continue;
            };
            for range in permission.ip_ranges() {
                if PORTS.contains(&port) {
                    held.push((port, range.cidr_ip().unwrap_or_default().to_owned()));
                }
            }
        }
        if held.is_empty() {
            return Ok(None);
        }
        let (port, source) = rng.pick(&held).clone();
        self.ec2
            .revoke_security_group_ingress()
            .group_id(&group)
            .ip_permissions(tcp(port, &source))
            .send()
            .await?;
        Ok(Some(Change {
            event_name: "RevokeSecurityGroupIngress",
            request: permission_json(&group, port, &source),
            response: None,
        }))
    }

    async fn swap_groups(&mut self, rng: &mut Rng, i: usize) -> anyhow::Result<Option<Change>> {
        let chosen: Vec<String> = match rng.below(3) {
            0 => vec![self.groups[0].clone()],
            1 => vec![self.groups[1].clone()],
            _ => self.groups.clone(),
        };
        let eni = self.instances[i].eni.clone();
        self.ec2
            .modify_network_interface_attribute()
            .network_interface_id(&eni)
            .set_groups(Some(chosen.clone()))
            .send()
            .await?;
        let items: Vec<Value> = chosen.iter().map(|g| json!({ "groupId": g })).collect();
        Ok(Some(Change {
            event_name: "ModifyNetworkInterfaceAttribute",
            request: json!({ "networkInterfaceId": eni, "groupSet": { "items": items } }),
            response: None,
        }))
    }

    /// Toggle the app subnet's default route between the firewall and the internet gateway.
    async fn reroute(&mut self) -> anyhow::Result<Option<Change>> {
        let replace = self
            .ec2
            .replace_route()
            .route_table_id(&self.app_table)
            .destination_cidr_block("0.0.0.0/0");
        let request = if self.routed {
            replace.gateway_id(&self.igw).send().await?;
            json!({ "routeTableId": self.app_table, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": self.igw })
        } else {
            replace.instance_id(&self.firewall).send().await?;
            json!({ "routeTableId": self.app_table, "destinationCidrBlock": "0.0.0.0/0", "instanceId": self.firewall })
        };
        self.routed = !self.routed;
        Ok(Some(Change {
            event_name: "ReplaceRoute",
            request,
            response: None,
        }))
    }
}
