//! Which hosts an HTTP source may reach. A source's URL is typed by a KPI owner, and the
//! server fetches it from inside the network it runs in: without a rule, a source could read
//! the cloud metadata service, an admin port on loopback, or a database's HTTP interface, and
//! probe which internal ports answer. So by default a source reaches public addresses only;
//! an operator may allow named internal hosts (`QUARTERDECK_SOURCE_ALLOWED_HOSTS`).
//!
//! The rule holds for the addresses actually connected to: a name is resolved once, every
//! address it resolves to is checked, and the connection is pinned to those addresses, so a
//! name that resolves to a public address when checked and to 127.0.0.1 when connecting
//! (DNS rebinding) still cannot reach loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Hosts (names or addresses, lower case) allowed whatever they resolve to.
    allowed: Vec<String>,
}

impl Reach {
    /// Public addresses only.
    pub fn public_only() -> Self {
        Reach::default()
    }

    /// Public addresses, and these hosts whatever they resolve to (`crm.internal`,
    /// `10.0.0.7`, `127.0.0.1`).
    pub fn allowing<S: AsRef<str>>(hosts: impl IntoIterator<Item = S>) -> Self {
        Reach { allowed: hosts.into_iter().map(|h| normal(h.as_ref())).filter(|h| !h.is_empty()).collect() }
    }

    /// Whether the host (as written in the URL) was allowed by name.
    pub(crate) fn allows_host(&self, host: &str) -> bool {
        self.allowed.contains(&normal(host))
    }
}

fn normal(host: &str) -> String {
    host.trim().trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase()
}

/// Whether an address is not on the public internet: loopback, private, link-local (the
/// cloud metadata service), shared, reserved, multicast, or an IPv6 form of one of those.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, hi, lo] = segments;
        return internal_v4(Ipv4Addr::from(((hi as u32) << 16) | lo as u32));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || segments[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised_in_every_spelling() {
        for internal in [
            "127.0.0.1",
            "127.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::127.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn allowed_hosts_match_by_name_in_any_case() {
        let reach = Reach::allowing(["CRM.internal.", "127.0.0.1", "[::1]"]);
        for host in ["crm.internal", "Crm.Internal", "127.0.0.1", "::1", "[::1]"] {
            assert!(reach.allows_host(host), "{host}");
        }
        assert!(!reach.allows_host("crm.internal.evil.example"));
        assert!(!Reach::public_only().allows_host("127.0.0.1"));
    }
}
