//! Master/slave determination (H.245 8.2 and C.2): the terminal with the higher terminal type is
//! master; between equals, the status determination numbers decide. This server is an MCU with
//! audio and video processing (terminal type 190, as H.323 Table 1 names them), so a terminal
//! (50) or gateway calling it is the slave.

/// This server's terminal type.
pub const TERMINAL_TYPE: u8 = 190;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Master,
    Slave,
}

/// This server's role against a peer that sent `(terminal_type, number)`, given this server's
/// own `number`; `None` when nothing decides (identical numbers: both sides try again).
pub fn decide(peer_type: u8, peer_number: u32, our_number: u32) -> Option<Role> {
    match TERMINAL_TYPE.cmp(&peer_type) {
        std::cmp::Ordering::Greater => return Some(Role::Master),
        std::cmp::Ordering::Less => return Some(Role::Slave),
        std::cmp::Ordering::Equal => {}
    }
    // C.2.1.1: with both numbers in 0..2^24, (peer - ours) mod 2^24 below 2^23 means this side is
    // master; 0 or 2^23 decide nothing.
    let diff = peer_number.wrapping_sub(our_number) & 0xff_ffff;
    match diff {
        0 | 0x80_0000 => None,
        d if d < 0x80_0000 => Some(Role::Master),
        _ => Some(Role::Slave),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mcu_is_master_of_a_terminal_and_slave_of_a_bigger_mcu() {
        assert_eq!(decide(50, 7, 9), Some(Role::Master));
        assert_eq!(decide(240, 7, 9), Some(Role::Slave));
    }

    #[test]
    fn between_equals_the_numbers_decide_and_both_sides_agree() {
        for (a, b) in [(1u32, 2u32), (0, 0xff_ffff), (12345, 9_000_000), (0x7f_ffff, 1)] {
            let us = decide(TERMINAL_TYPE, b, a);
            let them = decide(TERMINAL_TYPE, a, b);
            assert!(us.is_some() && us != them, "{a} {b}: {us:?} {them:?}");
        }
        assert_eq!(decide(TERMINAL_TYPE, 5, 5), None);
        assert_eq!(decide(TERMINAL_TYPE, 0x80_0005, 5), None);
    }
}
