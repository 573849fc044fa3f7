//! One fuzz input: the bytes a target reads, plus the writer schema for the decode target.

/// What one execution of a target reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Input {
    /// The writer schema's JSON text (decode target only).
    pub schema: Option<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Input {
    /// Bytes without a schema.
    pub fn bytes(bytes: Vec<u8>) -> Self {
        Self {
            schema: None,
            bytes,
        }
    }

    /// A body with its writer schema.
    pub fn with_schema(schema: &str, bytes: Vec<u8>) -> Self {
        Self {
            schema: Some(schema.to_owned()),
            bytes,
        }
    }

    /// A stable name for this input: 64-bit FNV-1a over the schema and the bytes, in hex.
    pub fn hash(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let schema = self.schema.as_deref().unwrap_or_default().as_bytes();
        for byte in schema.iter().chain([&0xff]).chain(&self.bytes) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_part_of_the_name() {
        let plain = Input::bytes(vec![1, 2]);
        assert_eq!(plain.hash(), Input::bytes(vec![1, 2]).hash());
        assert_ne!(
            plain.hash(),
            Input::with_schema("\"int\"", vec![1, 2]).hash()
        );
        assert_eq!(plain.hash().len(), 16);
    }
}
