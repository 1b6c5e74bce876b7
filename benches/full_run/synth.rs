//! A full-size synthetic config, generated deterministically from the demo cases: the
//! same fields, texts and taxonomy, with many more cases, MCQs and pictures of realistic
//! size. Pictures are JPEG-framed noise (incompressible, as real scans are).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// How big the config is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub cases: usize,
    pub mcqs: usize,
    pub images: usize,
    /// Mean picture size in bytes (sizes vary by ±1/3 around it).
    pub image_bytes: usize,
}

impl Size {
    /// The size of a real LiveClin config (2025_H1).
    pub(crate) const FULL: Size = Size {
        cases: 1407,
        mcqs: 6605,
        images: 1800,
        image_bytes: 150_000,
    };
}

/// The generated config.
pub(crate) struct Config {
    /// The folder to give as `--data-dir`.
    pub data_dir: PathBuf,
    pub dataset: &'static str,
    /// MCQs of each case, in dataset order.
    pub mcqs_per_case: Vec<usize>,
    pub image_bytes_total: u64,
}

/// splitmix64: a tiny, stable generator (the config must be the same on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const IMAGE_TYPES: [&str; 8] = [
    "CT",
    "MRI",
    "X-ray",
    "Pathology (H&E)",
    "Ultrasound",
    "Immunohistochemistry",
    "Endoscopy",
    "Clinical Photograph",
];

/// Writes the config under `root` unless the same size is there already.
pub(crate) fn generate(root: &Path, size: Size, templates: &Path) -> anyhow::Result<Config> {
    let dataset = "full";
    let dir = root.join("data").join(dataset);
    let jsonl = dir.join(format!("{dataset}.jsonl"));
    let stamp = dir.join(".size");
    let stamp_text = format!("{size:?}");

    let rows: Vec<Value> = std::fs::read_to_string(templates)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let mut rng = Rng(20_250_101);

    // MCQs per case: 3 to 6, adding up to size.mcqs.
    let mut counts = vec![3usize; size.cases];
    let mut extra = size.mcqs - 3 * size.cases;
    while extra > 0 {
        let i = rng.below(size.cases);
        if counts[i] < 6 {
            counts[i] += 1;
            extra -= 1;
        }
    }
    // Pictures: (case, position), position 0 = the scenario, k = question k.
    let mut pictures: Vec<Vec<usize>> = vec![Vec::new(); size.cases];
    for _ in 0..size.images {
        let case = rng.below(size.cases);
        let position = rng.below(counts[case] + 1);
        pictures[case].push(position);
    }
    let sizes: Vec<usize> = (0..size.images)
        .map(|_| size.image_bytes * 2 / 3 + rng.below(size.image_bytes * 2 / 3))
        .collect();
    let config = Config {
        data_dir: root.to_path_buf(),
        dataset,
        mcqs_per_case: counts.clone(),
        image_bytes_total: sizes.iter().map(|&s| s as u64).sum(),
    };
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(stamp_text.as_str()) {
        return Ok(config);
    }

    eprintln!("Generating the synthetic config in {} ...", dir.display());
    let image_dir = dir.join("image").join("synth");
    std::fs::create_dir_all(&image_dir)?;
    let mut lines = String::new();
    let mut image_index = 0;
    for (i, count) in counts.iter().enumerate() {
        let mut row = rows[i % rows.len()].clone();
        row["pmc"] = json!(format!("{}", 5_000_000 + i));
        row["pmid"] = json!(format!("{}", 60_000_000 + i));
        row["doi"] = json!(format!("https://doi.org/10.5555/liveclin-synth.{i:05}"));
        let policy = &mut row["exam_creation"]["final_policy"];
        let scenario = policy["scenario"].as_str().unwrap_or_default().to_string();
        policy["scenario"] = json!(format!("[Synthetic case {i}] {scenario}"));
        let template: Vec<Value> = policy["mcqs"].as_array().cloned().unwrap_or_default();
        let mut mcqs: Vec<Value> = (0..*count)
            .map(|k| {
                let mut m = template[k % template.len()].clone();
                m["image_details"] = Value::Null;
                m
            })
            .collect();
        policy["scenario_image_details"] = Value::Null;
        for &position in &pictures[i] {
            let file = format!("synth/c{i:04}_{image_index:04}.jpg");
            std::fs::write(
                dir.join("image").join(&file),
                jpeg_noise(sizes[image_index], &mut rng),
            )?;
            let detail = json!({
                "caption_prefix": format!("Figure {}:", image_index + 1),
                "file": file,
                "url": format!("https://example.org/liveclin-synth/{file}"),
                "type": IMAGE_TYPES[image_index % IMAGE_TYPES.len()],
            });
            let slot = if position == 0 {
                &mut policy["scenario_image_details"]
            } else {
                &mut mcqs[position - 1]["image_details"]
            };
            if !slot.is_array() {
                *slot = json!([]);
            }
            slot.as_array_mut().expect("an array").push(detail);
            image_index += 1;
        }
        policy["mcqs"] = Value::Array(mcqs);
        lines.push_str(&serde_json::to_string(&row)?);
        lines.push('\n');
    }
    std::fs::write(&jsonl, lines)?;
    std::fs::write(&stamp, stamp_text)?;
    Ok(config)
}

/// `len` bytes that sniff as a JPEG and do not compress.
fn jpeg_noise(len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut bytes = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    while bytes.len() < len - 2 {
        bytes.extend_from_slice(&rng.next().to_le_bytes());
    }
    bytes.truncate(len - 2);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}
