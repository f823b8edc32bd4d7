//! What the jet-data targets share: the layout of a fuzz input that holds the four files of an
//! hls4ml `.npy` sample folder.

/// The four files an input holds (`X_train_val`, `y_train_val`, `X_test`, `y_test`): three
/// little-endian `u32` lengths, then the first three files with those lengths (cut at the end of
/// the input), then the fourth file as the rest.
pub fn split_folder(data: &[u8]) -> [&[u8]; 4] {
    let (mut lens, mut rest) = ([0usize; 3], data);
    for l in &mut lens {
        let Some((head, tail)) = rest.split_first_chunk::<4>() else { break };
        *l = u32::from_le_bytes(*head) as usize;
        rest = tail;
    }
    let mut files = [&[][..]; 4];
    for (k, l) in lens.iter().enumerate() {
        let (file, tail) = rest.split_at((*l).min(rest.len()));
        files[k] = file;
        rest = tail;
    }
    files[3] = rest;
    files
}
