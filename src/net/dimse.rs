//! DIMSE command sets: builders for the requests and responses dicomkit sends (C-ECHO, C-FIND,
//! C-MOVE, C-STORE, C-CANCEL), encoded in Implicit VR Little Endian as PS3.7 requires, with the
//! group length computed; and [`Command`], a received command set decoded.

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN;

use super::Status;
use crate::dicom::read::read_dataset_bytes;
use crate::dicom::value::Value;

/// Command Field values (0000,0100).
pub mod field {
    /// C-STORE-RQ.
    pub const C_STORE_RQ: u16 = 0x0001;
    /// C-STORE-RSP.
    pub const C_STORE_RSP: u16 = 0x8001;
    /// C-FIND-RQ.
    pub const C_FIND_RQ: u16 = 0x0020;
    /// C-FIND-RSP.
    pub const C_FIND_RSP: u16 = 0x8020;
    /// C-MOVE-RQ.
    pub const C_MOVE_RQ: u16 = 0x0021;
    /// C-MOVE-RSP.
    pub const C_MOVE_RSP: u16 = 0x8021;
    /// C-ECHO-RQ.
    pub const C_ECHO_RQ: u16 = 0x0030;
    /// C-ECHO-RSP.
    pub const C_ECHO_RSP: u16 = 0x8030;
    /// C-CANCEL-RQ.
    pub const C_CANCEL_RQ: u16 = 0x0FFF;
}

/// Command Data Set Type: no data set follows.
const NO_DATA_SET: u16 = 0x0101;
/// Command Data Set Type: a data set follows (any value but 0x0101).
const DATA_SET: u16 = 0x0000;
/// Priority: medium.
const MEDIUM: u16 = 0x0000;

fn us(tag: Tag, v: u16) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::US, PrimitiveValue::from(v))
}

fn ui(tag: Tag, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, VR::UI, PrimitiveValue::from(v))
}

fn encode(elements: Vec<DataElement<InMemDicomObject>>) -> Vec<u8> {
    let obj = InMemDicomObject::command_from_element_iter(elements);
    let mut out = Vec::with_capacity(128);
    // Writing to a Vec only fails on a bug in the encoder.
    if let Err(e) = obj.write_dataset_with_ts(&mut out, &IMPLICIT_VR_LITTLE_ENDIAN.erased()) {
        tracing::error!("encoding a command set failed: {e}");
    }
    out
}

/// C-ECHO-RQ.
pub fn echo_rq(message_id: u16) -> Vec<u8> {
    encode(vec![
        ui(tags::AFFECTED_SOP_CLASS_UID, super::VERIFICATION),
        us(tags::COMMAND_FIELD, field::C_ECHO_RQ),
        us(tags::MESSAGE_ID, message_id),
        us(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
    ])
}

/// C-ECHO-RSP.
pub fn echo_rsp(responding_to: u16, status: u16) -> Vec<u8> {
    encode(vec![
        ui(tags::AFFECTED_SOP_CLASS_UID, super::VERIFICATION),
        us(tags::COMMAND_FIELD, field::C_ECHO_RSP),
        us(tags::MESSAGE_ID_BEING_RESPONDED_TO, responding_to),
        us(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
        us(tags::STATUS, status),
    ])
}

/// C-FIND-RQ (an identifier follows).
pub fn find_rq(message_id: u16, sop_class: &str) -> Vec<u8> {
    encode(vec![
        ui(tags::AFFECTED_SOP_CLASS_UID, sop_class),
        us(tags::COMMAND_FIELD, field::C_FIND_RQ),
        us(tags::MESSAGE_ID, message_id),
        us(tags::PRIORITY, MEDIUM),
        us(tags::COMMAND_DATA_SET_TYPE, DATA_SET),
    ])
}

/// C-MOVE-RQ (an identifier follows).
pub fn move_rq(message_id: u16, sop_class: &str, destination: &str) -> Vec<u8> {
    encode(vec![
        ui(tags::AFFECTED_SOP_CLASS_UID, sop_class),
        us(tags::COMMAND_FIELD, field::C_MOVE_RQ),
        us(tags::MESSAGE_ID, message_id),
        DataElement::new(
            tags::MOVE_DESTINATION,
            VR::AE,
            PrimitiveValue::from(destination),
        ),
        us(tags::PRIORITY, MEDIUM),
        us(tags::COMMAND_DATA_SET_TYPE, DATA_SET),
    ])
}

/// C-STORE-RQ (the instance follows).
pub fn store_rq(message_id: u16, sop_class: &str, sop_instance: &str) -> Vec<u8> {
    encode(vec![
        ui(tags::AFFECTED_SOP_CLASS_UID, sop_class),
        us(tags::COMMAND_FIELD, field::C_STORE_RQ),
        us(tags::MESSAGE_ID, message_id),
        us(tags::PRIORITY, MEDIUM),
        us(tags::COMMAND_DATA_SET_TYPE, DATA_SET),
        ui(tags::AFFECTED_SOP_INSTANCE_UID, sop_instance),
    ])
}

/// C-STORE-RSP.
pub fn store_rsp(responding_to: u16, sop_class: &str, sop_instance: &str, status: u16) -> Vec<u8> {
    encode(vec![
        ui(tags::AFFECTED_SOP_CLASS_UID, sop_class),
        us(tags::COMMAND_FIELD, field::C_STORE_RSP),
        us(tags::MESSAGE_ID_BEING_RESPONDED_TO, responding_to),
        us(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
        us(tags::STATUS, status),
        ui(tags::AFFECTED_SOP_INSTANCE_UID, sop_instance),
    ])
}

/// C-CANCEL-RQ for the operation with `message_id`.
pub fn cancel_rq(message_id: u16) -> Vec<u8> {
    encode(vec![
        us(tags::COMMAND_FIELD, field::C_CANCEL_RQ),
        us(tags::MESSAGE_ID_BEING_RESPONDED_TO, message_id),
        us(tags::COMMAND_DATA_SET_TYPE, NO_DATA_SET),
    ])
}

/// A received command set, decoded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Command {
    /// Command Field (0000,0100).
    pub field: u16,
    /// Message ID (0000,0110), in requests.
    pub message_id: Option<u16>,
    /// Message ID Being Responded To (0000,0120), in responses.
    pub responding_to: Option<u16>,
    /// Affected SOP Class UID (0000,0002).
    pub sop_class: Option<String>,
    /// Affected SOP Instance UID (0000,1000).
    pub sop_instance: Option<String>,
    /// A data set follows (Command Data Set Type ≠ 0x0101).
    pub has_data_set: bool,
    /// Status (0000,0900), in responses.
    pub status: Option<Status>,
    /// Error Comment (0000,0902).
    pub error_comment: Option<String>,
    /// Move Destination (0000,0600).
    pub move_destination: Option<String>,
    /// Move Originator AE Title (0000,1030), in C-STORE-RQ of a C-MOVE.
    pub move_originator: Option<String>,
    /// Number of Remaining Sub-operations (0000,1020).
    pub remaining: Option<u32>,
    /// Number of Completed Sub-operations (0000,1021).
    pub completed: Option<u32>,
    /// Number of Failed Sub-operations (0000,1022).
    pub failed: Option<u32>,
    /// Number of Warning Sub-operations (0000,1023).
    pub warning: Option<u32>,
}

impl Command {
    /// Decode a command set (Implicit VR Little Endian).
    pub fn parse(bytes: &[u8]) -> Result<Command, String> {
        let set = read_dataset_bytes(bytes, super::IMPLICIT_VR_LE);
        if let Some(e) = set.error {
            return Err(format!("malformed command set: {e}"));
        }
        let uint = |tag: Tag| {
            set.elements
                .iter()
                .find(|e| e.tag == tag)
                .and_then(|e| match &e.value {
                    Value::UInts(v) => v.first().and_then(|x| u32::try_from(*x).ok()),
                    _ => None,
                })
        };
        let text = |tag: Tag| {
            set.elements
                .iter()
                .find(|e| e.tag == tag)
                .map(|e| e.value.to_text())
                .filter(|s| !s.is_empty())
        };
        let field = uint(tags::COMMAND_FIELD)
            .and_then(|v| u16::try_from(v).ok())
            .ok_or("command set without Command Field (0000,0100)")?;
        let u16_of = |tag| uint(tag).and_then(|v| u16::try_from(v).ok());
        Ok(Command {
            field,
            message_id: u16_of(tags::MESSAGE_ID),
            responding_to: u16_of(tags::MESSAGE_ID_BEING_RESPONDED_TO),
            sop_class: text(tags::AFFECTED_SOP_CLASS_UID),
            sop_instance: text(tags::AFFECTED_SOP_INSTANCE_UID),
            has_data_set: u16_of(tags::COMMAND_DATA_SET_TYPE).is_some_and(|t| t != NO_DATA_SET),
            status: u16_of(tags::STATUS).map(Status),
            error_comment: text(tags::ERROR_COMMENT),
            move_destination: text(tags::MOVE_DESTINATION),
            move_originator: text(tags::MOVE_ORIGINATOR_APPLICATION_ENTITY_TITLE),
            remaining: uint(tags::NUMBER_OF_REMAINING_SUBOPERATIONS),
            completed: uint(tags::NUMBER_OF_COMPLETED_SUBOPERATIONS),
            failed: uint(tags::NUMBER_OF_FAILED_SUBOPERATIONS),
            warning: uint(tags::NUMBER_OF_WARNING_SUBOPERATIONS),
        })
    }

    /// The name of the command field ("C-FIND-RSP").
    pub fn name(&self) -> String {
        match self.field {
            field::C_STORE_RQ => "C-STORE-RQ".into(),
            field::C_STORE_RSP => "C-STORE-RSP".into(),
            field::C_FIND_RQ => "C-FIND-RQ".into(),
            field::C_FIND_RSP => "C-FIND-RSP".into(),
            field::C_MOVE_RQ => "C-MOVE-RQ".into(),
            field::C_MOVE_RSP => "C-MOVE-RSP".into(),
            field::C_ECHO_RQ => "C-ECHO-RQ".into(),
            field::C_ECHO_RSP => "C-ECHO-RSP".into(),
            field::C_CANCEL_RQ => "C-CANCEL-RQ".into(),
            other => format!("command 0x{other:04X}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip() {
        let c = Command::parse(&move_rq(7, super::super::STUDY_ROOT_MOVE, "STORESCP")).unwrap();
        assert_eq!(c.field, field::C_MOVE_RQ);
        assert_eq!(c.message_id, Some(7));
        assert_eq!(c.move_destination.as_deref(), Some("STORESCP"));
        assert!(c.has_data_set);
        let c = Command::parse(&echo_rsp(3, 0)).unwrap();
        assert_eq!(
            (c.field, c.responding_to, c.status),
            (field::C_ECHO_RSP, Some(3), Some(Status(0)))
        );
        assert!(!c.has_data_set);
        let bytes = store_rsp(9, "1.2.3", "1.2.3.4", 0xA700);
        // Group length first: (0000,0000) UL, length 4.
        assert_eq!(&bytes[..8], &[0, 0, 0, 0, 4, 0, 0, 0]);
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        assert_eq!(len, bytes.len() - 12);
        let c = Command::parse(&bytes).unwrap();
        assert_eq!(c.sop_instance.as_deref(), Some("1.2.3.4"));
        assert_eq!(c.status, Some(Status(0xA700)));
        assert_eq!(
            Command::parse(&cancel_rq(5)).unwrap().responding_to,
            Some(5)
        );
        assert!(Command::parse(&[1, 2, 3]).is_err());
    }
}
