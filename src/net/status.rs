//! DIMSE status codes (PS3.7 Annex C) and their standard meanings.

use std::fmt;

/// The class of a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 0x0000.
    Success,
    /// 0xFF00, 0xFF01: more responses follow.
    Pending,
    /// 0xFE00: the operation was cancelled.
    Cancel,
    /// 0x0001, 0x0107, 0x0116, 0xB000–0xBFFF.
    Warning,
    /// Every other code.
    Failure,
}

/// A DIMSE status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16);

impl Status {
    /// The class of this code.
    pub fn class(self) -> StatusClass {
        match self.0 {
            0x0000 => StatusClass::Success,
            0xFF00 | 0xFF01 => StatusClass::Pending,
            0xFE00 => StatusClass::Cancel,
            0x0001 | 0x0107 | 0x0116 | 0xB000..=0xBFFF => StatusClass::Warning,
            _ => StatusClass::Failure,
        }
    }

    /// The standard meaning of the code (PS3.7 C and the service classes of PS3.4).
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0x0000 => "success",
            0xFF00 => "pending",
            0xFF01 => "pending (optional keys not supported)",
            0xFE00 => "cancelled",
            0x0001 => "warning: requested optional attributes are not supported",
            0x0107 => "warning: attribute list error",
            0x0116 => "warning: attribute value out of range",
            0xB000 => "warning: sub-operations complete, one or more failures or warnings",
            0xB006 => "warning: elements discarded",
            0xB007 => "warning: data set does not match SOP class",
            0xB001..=0xB005 | 0xB008..=0xBFFF => "warning",
            0x0105 => "no such attribute",
            0x0106 => "invalid attribute value",
            0x0110 => "processing failure",
            0x0111 => "duplicate SOP instance",
            0x0112 => "no such SOP instance",
            0x0117 => "invalid object instance",
            0x0118 => "no such SOP class",
            0x0119 => "class-instance conflict",
            0x0120 => "missing attribute",
            0x0121 => "missing attribute value",
            0x0122 => "refused: SOP class not supported",
            0x0124 => "refused: not authorized",
            0x0210 => "duplicate invocation",
            0x0211 => "unrecognized operation",
            0x0212 => "mistyped argument",
            0x0213 => "resource limitation",
            0xA701 => "refused: out of resources, unable to calculate number of matches",
            0xA702 => "refused: out of resources, unable to perform sub-operations",
            0xA700 | 0xA703..=0xA7FF => "refused: out of resources",
            0xA801 => "refused: move destination unknown",
            0xA900 => "identifier does not match SOP class",
            0xA901..=0xA9FF => "data set does not match SOP class",
            0xC000..=0xCFFF => "failed: unable to process",
            _ => "failure",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04X} ({})", self.0, self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_meanings() {
        assert_eq!(Status(0).class(), StatusClass::Success);
        assert_eq!(Status(0xFF01).class(), StatusClass::Pending);
        assert_eq!(Status(0xFE00).class(), StatusClass::Cancel);
        assert_eq!(Status(0xB000).class(), StatusClass::Warning);
        assert_eq!(Status(0xA801).class(), StatusClass::Failure);
        assert_eq!(Status(0xC123).class(), StatusClass::Failure);
        assert_eq!(
            Status(0xA801).to_string(),
            "0xA801 (refused: move destination unknown)"
        );
        assert_eq!(Status(0xC001).meaning(), "failed: unable to process");
        assert_eq!(
            Status(0xA702).meaning(),
            "refused: out of resources, unable to perform sub-operations"
        );
        assert_eq!(
            Status(0xA900).meaning(),
            "identifier does not match SOP class"
        );
    }
}
