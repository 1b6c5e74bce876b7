//! What a researcher wants to know about a config before spending money on it: its
//! shape, its coverage of the taxonomy, its images, and every schema problem with the
//! line it is on. Nothing here stops at the first problem.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::path::Path;

use serde::Serialize;

use super::load::{Dataset, LoadedCase};
use super::paths::image_path;
use super::schema::{Image, Lenient, List, Mcq, Table, Text, items};
use super::source::Source;
use crate::dataset::taxonomy;
use crate::images::{ImageSkip, file_image_mime, file_is_lfs_pointer, is_http_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Would corrupt an evaluation (a question that cannot be scored, a case that
    /// cannot be resumed, a file that must not be read).
    Error,
    /// Worth knowing; the evaluation still means what it says.
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub line: usize,
    pub case_id: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct McqsPerCase {
    pub min: usize,
    pub(crate) avg: f64,
    pub max: usize,
    /// MCQ count -> number of cases with that many.
    pub(crate) histogram: BTreeMap<usize, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub jsonl: String,
    pub image_root: String,
    /// Where the data came from, when liveclin downloaded it (its record).
    pub source: Option<Source>,
    pub cases: usize,
    pub mcqs: usize,
    pub mcqs_per_case: McqsPerCase,
    /// Chapter (`Level1`) -> cases.
    pub chapters: BTreeMap<String, usize>,
    /// Chapter -> subcategory (`Level2`) -> cases.
    pub subcategories: BTreeMap<String, BTreeMap<String, usize>>,
    /// `Rarity` as written -> cases.
    pub rarity: BTreeMap<String, usize>,
    /// Stage category -> MCQs.
    pub stages: BTreeMap<String, usize>,
    /// Image modality -> MCQs showing it (Q1 counts the scenario's images), as in the summary.
    pub image_modalities: BTreeMap<String, usize>,
    /// Table modality -> MCQs showing it.
    pub table_modalities: BTreeMap<String, usize>,
    /// Image objects with a `file`.
    pub images_referenced: usize,
    pub images_present: usize,
    pub images_missing: usize,
    /// Absolute paths and paths that escape the root (by `..` or a symbolic link), never
    /// read; files that are not pictures, never sent.
    pub images_unsafe: usize,
    /// Image objects with an http(s) `url` (what url mode can send).
    pub(crate) images_with_url: usize,
    pub tables: usize,
    pub errors: usize,
    pub warnings: usize,
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when an evaluation of this config would be corrupted.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }
}

/// Checks every case of a dataset; image files are looked up under `image_root`.
pub fn validate(dataset: &Dataset, image_root: &Path) -> Report {
    let mut v = Validator {
        image_root,
        problems: Vec::new(),
        report: Counts::default(),
    };
    let mut first_line_of_id: HashMap<&str, usize> = HashMap::new();
    for case in &dataset.cases {
        v.case(case);
        if let Some(first) = first_line_of_id.insert(&case.id, case.line) {
            v.problem(case, Severity::Error, format!(
                "duplicate case id {:?} (first on line {first}): resume and results cannot tell these cases apart",
                case.id
            ));
            first_line_of_id.insert(&case.id, first);
        }
    }
    v.finish(dataset, image_root)
}

#[derive(Default)]
struct Counts {
    mcqs_per_case: Vec<usize>,
    chapters: BTreeMap<String, usize>,
    subcategories: BTreeMap<String, BTreeMap<String, usize>>,
    rarity: BTreeMap<String, usize>,
    stages: BTreeMap<String, usize>,
    image_modalities: BTreeMap<String, usize>,
    table_modalities: BTreeMap<String, usize>,
    images_referenced: usize,
    images_present: usize,
    images_missing: usize,
    images_unsafe: usize,
    images_with_url: usize,
    tables: usize,
}

struct Validator<'a> {
    image_root: &'a Path,
    problems: Vec<Problem>,
    report: Counts,
}

/// A text field that is present but not a string (it still prints, but oddly).
fn odd_text(field: &Text) -> Option<String> {
    match field {
        Text::Other(v) => Some(format!("is {}, not text", super::schema::json_kind(v))),
        _ => None,
    }
}

impl Validator<'_> {
    fn problem(&mut self, case: &LoadedCase, severity: Severity, message: String) {
        self.problems.push(Problem {
            line: case.line,
            case_id: case.id.clone(),
            severity,
            message,
        });
    }

    fn case(&mut self, lc: &LoadedCase) {
        let case = &lc.case;
        if lc.id_is_fallback {
            self.problem(lc, Severity::Warning, format!(
                "no pmc, pmid or doi: the official tool gives this case an empty id; liveclin uses {:?}",
                lc.id
            ));
        }
        let chapter = case.level1.py_get("").into_owned();
        let subcategory = case.level2.py_get("").into_owned();
        for (name, field) in [
            ("Level1", &case.level1),
            ("Level2", &case.level2),
            ("Rarity", &case.rarity),
        ] {
            if !field.is_truthy() {
                self.problem(
                    lc,
                    Severity::Warning,
                    format!("{name} is missing: the case is grouped under a default"),
                );
            }
        }
        let rarity = case.rarity.py_get("unknown").into_owned();
        if case.rarity.is_truthy() && !matches!(rarity.to_lowercase().as_str(), "rare" | "unrare") {
            self.problem(
                lc,
                Severity::Warning,
                format!("Rarity {rarity:?} is neither \"rare\" nor \"unrare\""),
            );
        }
        *self.report.chapters.entry(chapter.clone()).or_default() += 1;
        *self
            .report
            .subcategories
            .entry(chapter)
            .or_default()
            .entry(subcategory)
            .or_default() += 1;
        *self.report.rarity.entry(rarity).or_default() += 1;

        let policy = match &case.exam_creation {
            Lenient::Ok(exam) => match &exam.final_policy {
                Lenient::Ok(policy) => Some(policy),
                other => {
                    self.shape_problem(lc, "exam_creation.final_policy", other);
                    None
                }
            },
            other => {
                self.shape_problem(lc, "exam_creation", other);
                None
            }
        };
        let Some(policy) = policy else {
            self.report.mcqs_per_case.push(0);
            return;
        };
        if !policy.scenario.is_truthy() {
            self.problem(lc, Severity::Error, "scenario is missing or empty".into());
        } else if let Some(odd) = odd_text(&policy.scenario) {
            self.problem(lc, Severity::Warning, format!("scenario {odd}"));
        }
        self.images(lc, "scenario_image_details", &policy.scenario_image_details);
        self.tables(lc, "scenario_table_details", &policy.scenario_table_details);

        match &policy.mcqs {
            Lenient::Ok(list) if !list.is_empty() => {
                if !(3..=6).contains(&list.len()) {
                    self.problem(
                        lc,
                        Severity::Warning,
                        format!("{} MCQs (LiveClin cases have 3 to 6)", list.len()),
                    );
                }
            }
            Lenient::Ok(_) => self.problem(
                lc,
                Severity::Error,
                "mcqs is empty: the case can only count as wrong".into(),
            ),
            other => self.shape_problem(lc, "mcqs", other),
        }
        let mcqs = case.mcqs();
        self.report.mcqs_per_case.push(mcqs.len());
        let scenario_images: Vec<&str> = items(&policy.scenario_image_details)
            .filter_map(|i| i.kind.as_str())
            .collect();
        let scenario_tables: Vec<&str> = items(&policy.scenario_table_details)
            .filter_map(|t| t.kind.as_str())
            .collect();
        let entries = policy.mcqs.get().map(Vec::as_slice).unwrap_or_default();
        for (i, mcq) in mcqs.iter().enumerate() {
            if let Lenient::Invalid(found) = &entries[i] {
                let message = format!("Q{}: not an MCQ object: {found}", i + 1);
                self.problem(lc, Severity::Error, message);
            } else {
                self.mcq(lc, i, mcq);
            }
            let stage = mcq
                .stage
                .as_str()
                .map_or(taxonomy::OTHER_STAGE, taxonomy::classify_stage);
            *self.report.stages.entry(stage.to_string()).or_default() += 1;
            let first = if i == 0 {
                (&scenario_images[..], &scenario_tables[..])
            } else {
                (&[][..], &[][..])
            };
            let images = first
                .0
                .iter()
                .copied()
                .chain(items(&mcq.image_details).filter_map(|im| im.kind.as_str()));
            for mode in images.flat_map(taxonomy::image_modalities) {
                *self
                    .report
                    .image_modalities
                    .entry(mode.to_string())
                    .or_default() += 1;
            }
            let tables = first
                .1
                .iter()
                .copied()
                .chain(items(&mcq.table_details).filter_map(|t| t.kind.as_str()));
            for mode in tables.flat_map(taxonomy::table_modalities) {
                *self
                    .report
                    .table_modalities
                    .entry(mode.to_string())
                    .or_default() += 1;
            }
        }
    }

    fn shape_problem<T>(&mut self, lc: &LoadedCase, field: &str, value: &Lenient<T>) {
        let what = match value {
            Lenient::Missing => "is missing".to_string(),
            Lenient::Null => "is null".to_string(),
            Lenient::Invalid(found) => format!("has the wrong shape: {found}"),
            Lenient::Ok(_) => return,
        };
        self.problem(
            lc,
            Severity::Error,
            format!("{field} {what}: the case has no questions to ask"),
        );
    }

    fn mcq(&mut self, lc: &LoadedCase, index: usize, mcq: &Mcq) {
        let q = format!("Q{}", index + 1);
        if !mcq.question.is_truthy() {
            self.problem(
                lc,
                Severity::Error,
                format!("{q}: question is missing or empty"),
            );
        }
        if !mcq.stage.is_truthy() {
            self.problem(
                lc,
                Severity::Warning,
                format!("{q}: stage is missing (counted as Other)"),
            );
        }
        for (name, field) in [("question", &mcq.question), ("stage", &mcq.stage)] {
            if let Some(odd) = odd_text(field) {
                self.problem(lc, Severity::Warning, format!("{q}: {name} {odd}"));
            }
        }
        let letters = match &mcq.options {
            Lenient::Ok(options) if !options.is_empty() => {
                options.keys().cloned().collect::<Vec<_>>()
            }
            Lenient::Ok(_) | Lenient::Missing | Lenient::Null => {
                self.problem(lc, Severity::Error, format!("{q}: no options"));
                Vec::new()
            }
            Lenient::Invalid(found) => {
                self.problem(
                    lc,
                    Severity::Error,
                    format!("{q}: options is not an object of letter -> text: {found}"),
                );
                Vec::new()
            }
        };
        let unknown: Vec<&String> = letters
            .iter()
            .filter(|l| !matches!(l.as_bytes(), [b'A'..=b'J' | b'a'..=b'j']))
            .collect();
        if !unknown.is_empty() {
            self.problem(
                lc,
                Severity::Error,
                format!(
                    "{q}: option keys {unknown:?} are not letters A-J: no extractor can answer them"
                ),
            );
        }
        match mcq.correct_answer.as_str() {
            None => self.problem(
                lc,
                Severity::Error,
                format!("{q}: correct_answer is missing or not text"),
            ),
            Some(answer)
                if !letters.is_empty()
                    && !letters
                        .iter()
                        .any(|l| l.to_uppercase() == answer.to_uppercase()) =>
            {
                self.problem(
                    lc,
                    Severity::Error,
                    format!(
                        "{q}: correct_answer {answer:?} is not among the options {}",
                        letters.join(", ")
                    ),
                )
            }
            Some(_) => {}
        }
        self.images(lc, &format!("{q} image_details"), &mcq.image_details);
        self.tables(lc, &format!("{q} table_details"), &mcq.table_details);
    }

    fn list_shape<T>(&mut self, lc: &LoadedCase, field: &str, list: &List<T>) {
        match list {
            Lenient::Invalid(found) => self.problem(
                lc,
                Severity::Error,
                format!("{field} is not a list: {found}"),
            ),
            Lenient::Ok(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    if let Lenient::Invalid(found) = entry {
                        self.problem(
                            lc,
                            Severity::Error,
                            format!("{field}[{i}] is not an object: {found}"),
                        );
                    }
                }
            }
            Lenient::Missing | Lenient::Null => {}
        }
    }

    fn images(&mut self, lc: &LoadedCase, field: &str, list: &List<Image>) {
        self.list_shape(lc, field, list);
        for image in items(list) {
            let name = image.file.py_get("").into_owned();
            let label = image
                .caption_prefix
                .as_str()
                .filter(|c| !c.is_empty())
                .unwrap_or(&name)
                .to_string();
            if !image.caption_prefix.is_truthy() {
                self.problem(lc, Severity::Warning, format!(
                    "{field}: image {name:?} has no caption_prefix: it is never shown to the model"
                ));
            }
            if image.url.is_truthy() {
                if is_http_url(&image.url.py_get("")) {
                    self.report.images_with_url += 1;
                } else {
                    self.problem(lc, Severity::Warning, format!("{field}: {label} url is not http(s): url mode sends its caption without the picture"));
                }
            }
            if !image.file.is_truthy() {
                continue;
            }
            self.report.images_referenced += 1;
            match image_path(self.image_root, &name) {
                Err(unsafe_path) => {
                    self.report.images_unsafe += 1;
                    self.problem(
                        lc,
                        Severity::Error,
                        format!("{field}: {label} {unsafe_path}; it is never read"),
                    );
                }
                Ok(path) if path.is_file() && file_is_lfs_pointer(&path) => {
                    self.report.images_missing += 1;
                    self.problem(lc, Severity::Error, format!(
                        "{field}: {label} file {} is a Git LFS pointer, not the image (the copy was made \
                         without git-lfs: run `git lfs pull` in it, or `liveclin download`)",
                        path.display()
                    ));
                }
                Ok(path) if path.is_file() && file_image_mime(&path).is_none() => {
                    self.report.images_unsafe += 1;
                    let skip = ImageSkip::NotImage {
                        path: path.display().to_string(),
                    };
                    self.problem(
                        lc,
                        Severity::Error,
                        format!("{field}: {label} file {skip}; it is never sent"),
                    );
                }
                Ok(path) if path.is_file() => self.report.images_present += 1,
                Ok(path) => {
                    self.report.images_missing += 1;
                    self.problem(lc, Severity::Warning, format!(
                        "{field}: {label} file {} is missing: local mode drops its caption and picture",
                        path.display()
                    ));
                }
            }
        }
    }

    fn tables(&mut self, lc: &LoadedCase, field: &str, list: &List<Table>) {
        self.list_shape(lc, field, list);
        for table in items(list) {
            if table.content.is_truthy() {
                self.report.tables += 1;
            } else {
                let label = table.caption_prefix.py_get("table");
                self.problem(
                    lc,
                    Severity::Warning,
                    format!("{field}: {label} has no content: it is never shown to the model"),
                );
            }
        }
    }

    fn finish(self, dataset: &Dataset, image_root: &Path) -> Report {
        let c = self.report;
        let mcqs: usize = c.mcqs_per_case.iter().sum();
        let mut histogram = BTreeMap::new();
        for n in &c.mcqs_per_case {
            *histogram.entry(*n).or_default() += 1;
        }
        let cases = c.mcqs_per_case.len();
        let errors = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        Report {
            jsonl: dataset.path.display().to_string(),
            image_root: image_root.display().to_string(),
            cases,
            mcqs,
            mcqs_per_case: McqsPerCase {
                min: c.mcqs_per_case.iter().copied().min().unwrap_or(0),
                avg: if cases == 0 {
                    0.0
                } else {
                    crate::pytext::round4(mcqs as f64 / cases as f64)
                },
                max: c.mcqs_per_case.iter().copied().max().unwrap_or(0),
                histogram,
            },
            chapters: c.chapters,
            subcategories: c.subcategories,
            rarity: c.rarity,
            stages: c.stages,
            image_modalities: c.image_modalities,
            table_modalities: c.table_modalities,
            images_referenced: c.images_referenced,
            images_present: c.images_present,
            images_missing: c.images_missing,
            images_unsafe: c.images_unsafe,
            images_with_url: c.images_with_url,
            source: None,
            tables: c.tables,
            errors,
            warnings: self.problems.len() - errors,
            problems: self.problems,
        }
    }
}

/// The report for people: counts first, then every problem with its line.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut o = String::new();
        let _ = writeln!(o, "Dataset {}", self.jsonl);
        let _ = writeln!(o, "  images from {}", self.image_root);
        match &self.source {
            Some(source) => writeln!(o, "  downloaded from {}", source.describe()),
            None => writeln!(
                o,
                "  no download record (a local copy, not fetched by liveclin)"
            ),
        }
        .ok();
        let _ = writeln!(o);
        let p = &self.mcqs_per_case;
        let _ = writeln!(o, "  cases          {:>6}", self.cases);
        let _ = writeln!(
            o,
            "  MCQs           {:>6}   per case: min {}, avg {:.2}, max {}",
            self.mcqs, p.min, p.avg, p.max
        );
        let widest = p.histogram.values().copied().max().unwrap_or(1).max(1);
        for (n, cases) in &p.histogram {
            let bar = "#".repeat((cases * 30).div_ceil(widest));
            let _ = writeln!(o, "    {n:>2} MCQs  {cases:>5} cases  {bar}");
        }
        let subcategories: usize = self.subcategories.values().map(BTreeMap::len).sum();
        let _ = writeln!(o, "  chapters       {:>6}", self.chapters.len());
        let _ = writeln!(o, "  subcategories  {subcategories:>6}");
        let _ = writeln!(o, "  tables         {:>6}", self.tables);
        let _ = writeln!(
            o,
            "  images         {:>6} referenced, {} present, {} missing, {} unsafe; {} with a URL",
            self.images_referenced,
            self.images_present,
            self.images_missing,
            self.images_unsafe,
            self.images_with_url
        );
        for (title, counts, unit) in [
            ("Rarity", &self.rarity, "cases"),
            ("Chapters", &self.chapters, "cases"),
            ("Clinical stages", &self.stages, "MCQs"),
            ("Image modalities", &self.image_modalities, "MCQs"),
            ("Table modalities", &self.table_modalities, "MCQs"),
        ] {
            let _ = writeln!(o, "\n  {title} ({unit}):");
            let mut rows: Vec<(&String, &usize)> = counts.iter().collect();
            if title == "Chapters" {
                rows.sort_by(|a, b| super::icd::chapter_order(a.0, b.0));
            }
            for (name, n) in rows {
                let _ = writeln!(o, "    {n:>5}  {name}");
            }
        }
        let _ = writeln!(o, "\n  {} errors, {} warnings", self.errors, self.warnings);
        for p in &self.problems {
            let sev = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let _ = writeln!(
                o,
                "  {}:{}: {sev}: [{}] {}",
                self.jsonl, p.line, p.case_id, p.message
            );
        }
        f.write_str(&o)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A link out of the image root and a text file named like a picture are both
    /// unsafe errors on the case's line; a real picture beside them is present.
    #[test]
    fn links_out_and_non_pictures_are_unsafe() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("image");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("real.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        std::fs::write(root.join("notes.png"), "not a picture\n").unwrap();
        std::fs::write(dir.path().join(".env"), "PASSWORD=x\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join(".env"), root.join("env.png")).unwrap();
        let figure = |n: u32, file: &str| serde_json::json!({"caption_prefix": format!("Figure {n}:"), "file": file});
        let case = serde_json::json!({"pmc": "7", "exam_creation": {"final_policy": {
            "scenario": "s",
            "scenario_image_details": [figure(1, "real.png"), figure(2, "env.png"), figure(3, "notes.png")],
            "mcqs": [{"question": "q", "options": {"A": "a"}, "correct_answer": "A"}]}}});
        let jsonl = dir.path().join("c.jsonl");
        std::fs::write(&jsonl, format!("\n{case}\n")).unwrap();

        let report = validate(&super::super::load_jsonl(&jsonl).unwrap(), &root);
        assert_eq!(
            (
                report.images_present,
                report.images_unsafe,
                report.images_missing
            ),
            (1, 2, 0)
        );
        let errors: Vec<(usize, &str)> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0]
                .1
                .contains("Figure 2: path \"env.png\" leads out of the image root")
        );
        assert!(
            errors[1].1.contains("Figure 3: file ")
                && errors[1].1.contains("notes.png is not an image file")
        );
        assert!(errors.iter().all(|(line, _)| *line == 2));
    }
}
