//! A consumer group member's assignment as the classic consumer protocol encodes it: a version
//! (i16), then an array (i32 count) of topics, each a string (i16 length, UTF-8) and an array of
//! i32 partitions; user data follows and is ignored.

/// The topics and partitions in `bytes`, or `None` when they are not a consumer assignment
/// (another protocol type, or cut short).
pub(super) fn topics(bytes: &[u8]) -> Option<Vec<(String, Vec<i32>)>> {
    let mut reader = Reader(bytes);
    let _version = reader.i16()?;
    let count = reader.i32()?;
    let mut topics = Vec::new();
    for _ in 0..count.max(0) {
        let len = usize::try_from(reader.i16()?).ok()?;
        let name = std::str::from_utf8(reader.take(len)?).ok()?.to_owned();
        let partitions = reader.i32()?;
        let mut list = Vec::new();
        for _ in 0..partitions.max(0) {
            list.push(reader.i32()?);
        }
        topics.push((name, list));
    }
    Some(topics)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut out = 1i16.to_be_bytes().to_vec();
        out.extend(i32::try_from(topics.len()).unwrap_or(0).to_be_bytes());
        for (name, partitions) in topics {
            out.extend(i16::try_from(name.len()).unwrap_or(0).to_be_bytes());
            out.extend(name.as_bytes());
            out.extend(i32::try_from(partitions.len()).unwrap_or(0).to_be_bytes());
            for p in *partitions {
                out.extend(p.to_be_bytes());
            }
        }
        out.extend((-1i32).to_be_bytes());
        out
    }

    #[test]
    fn an_assignment_reads_back_its_topics_and_partitions() {
        let bytes = encode(&[("clicks-avro", &[0, 2]), ("other", &[1])]);
        assert_eq!(
            topics(&bytes),
            Some(vec![
                ("clicks-avro".to_owned(), vec![0, 2]),
                ("other".to_owned(), vec![1])
            ])
        );
    }

    #[test]
    fn cut_short_bytes_are_not_an_assignment() {
        let bytes = encode(&[("clicks-avro", &[0, 2])]);
        for cut in 0..bytes.len() - 4 {
            assert_eq!(topics(&bytes[..cut]), None, "cut at {cut}");
        }
    }
}
