//! Where a conference runs when several nodes share one database: the one home of the rule.
//! A node is alive while its last heartbeat is younger than the lease time; a conference goes to
//! the living node with room for it that is least loaded (the share of its capacity in use,
//! then fewer conferences, then its name, so every node that asks gets the same answer).

/// What the rule needs of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLoad<'a> {
    pub name: &'a str,
    /// Participants it takes.
    pub capacity: i64,
    pub participants: i64,
    pub conferences: i64,
    /// Its last heartbeat, Unix milliseconds.
    pub heartbeat_at: i64,
}

/// Whether a node whose last beat was at `heartbeat_at` still counts at `now`.
pub fn alive(heartbeat_at: i64, now: i64, lease_ms: i64) -> bool {
    now - heartbeat_at <= lease_ms
}

/// The node a conference that needs room for `needs` participants should start on, if any
/// living node has room.
pub fn choose<'a>(nodes: &[NodeLoad<'a>], needs: i64, now: i64, lease_ms: i64) -> Option<&'a str> {
    nodes
        .iter()
        .filter(|n| alive(n.heartbeat_at, now, lease_ms) && n.capacity > 0 && n.participants + needs <= n.capacity)
        .min_by(|a, b| {
            // a.participants / a.capacity against b's, without division.
            (i128::from(a.participants) * i128::from(b.capacity))
                .cmp(&(i128::from(b.participants) * i128::from(a.capacity)))
                .then(a.conferences.cmp(&b.conferences))
                .then(a.name.cmp(b.name))
        })
        .map(|n| n.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, capacity: i64, participants: i64, conferences: i64, heartbeat_at: i64) -> NodeLoad<'_> {
        NodeLoad { name, capacity, participants, conferences, heartbeat_at }
    }

    #[test]
    fn the_least_loaded_living_node_with_room_wins() {
        let nodes = [n("a", 100, 50, 5, 1000), n("b", 200, 60, 9, 1000), n("c", 100, 10, 1, 0)];
        // c is least loaded but silent for longer than a lease.
        assert_eq!(choose(&nodes, 1, 10_500, 10_000), Some("b"));
        assert_eq!(choose(&nodes, 1, 9_000, 10_000), Some("c"));
        // Room: b has 140 places left.
        assert_eq!(choose(&nodes, 141, 10_500, 10_000), None);
        assert_eq!(choose(&nodes, 50, 10_500, 10_000), Some("b"));
        // Same share: fewer conferences, then the name.
        let even = [n("y", 100, 10, 2, 0), n("x", 100, 10, 2, 0), n("z", 100, 10, 1, 0)];
        assert_eq!(choose(&even, 1, 0, 10_000), Some("z"));
        assert_eq!(choose(&even[..2], 1, 0, 10_000), Some("x"));
        assert_eq!(choose(&[n("zero", 0, 0, 0, 0)], 0, 0, 10_000), None);
        assert_eq!(choose(&[], 1, 0, 10_000), None);
    }
}
