// node check-page.cjs LIVECLIN REPO WORKDIR (run by scripts/check-page.sh): writes the
// demo's report page and a variant's, opens them in headless Chromium and checks the chart
// order, the filters, the search, the transcripts and the capped "open" button against the
// results files. Any JavaScript error on a page fails the check.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const { launch, fileUrl } = require("./launch.cjs");

const [bin, repo, work] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed += 1;
    console.log(`ok - ${name}`);
  } else {
    failed += 1;
    console.log(`FAILED - ${name}${detail === undefined ? "" : `: ${detail}`}`);
  }
}

function liveclin(args) {
  return execFileSync(bin, args, { cwd: work, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** An answer read, as the page compares them: null when nothing was read. Two readings
 * differ when their letters do (in any case) or one of them read nothing; failed and
 * skipped questions were not read. */
function reading(v) {
  return v === null || v === undefined || v === "" ? null : String(v);
}
function outcomeOf(m) {
  return m.outcome;
}

/** The variant: 130 cases (the demo's, a failure with its skips, readings that differ,
 * copies under new ids), one demo case left out (not run). */
function variant(demo) {
  const file = JSON.parse(JSON.stringify(demo));
  for (const key of ["summary", "outcomes", "confidence_intervals", "multi_turn"]) {
    delete file[key];
  }
  for (const key of ["complete", "cases_in_config", "cases_run"]) {
    delete file.meta[key];
  }
  const cases = file.cases;
  // Case 0, Q2: the robust reading a different letter; case 2, Q3: robust read nothing.
  const m1 = cases[0].mcqs[1];
  m1.robust_answer = reading(m1.extracted_answer) === "B" ? "C" : "B";
  m1.robust_rule = "phrase";
  m1.robust_correct = m1.robust_answer === m1.correct_answer;
  const m2 = cases[2].mcqs[2];
  m2.extracted_answer = m2.extracted_answer || "A";
  m2.robust_answer = null;
  m2.robust_rule = null;
  m2.robust_correct = false;
  // Case 1: Q2 fails, the later questions are skipped.
  cases[1].mcqs.forEach((m, i) => {
    if (i < 1) {
      return;
    }
    for (const k of ["extraction_rule", "robust_answer", "robust_rule", "robust_correct", "finish_reason", "usage"]) {
      delete m[k];
    }
    m.extracted_answer = null;
    m.is_correct = false;
    m.model_response = null;
    m.error = i === 1 ? "Error code: 500 - Mock error 500" : "Skipped: prior question failed";
    m.outcome = i === 1 ? "api_failure" : "skipped";
  });
  cases[1].correct_mcqs = cases[1].mcqs.filter((m) => m.is_correct).length;
  const notRun = cases.pop();
  const originals = cases.length;
  for (let k = 0; cases.length < 130; k += 1) {
    const copy = JSON.parse(JSON.stringify(cases[3 + (k % (originals - 3))]));
    copy.case_id = `copy-${k}`;
    cases.push(copy);
  }
  return { file, notRun: notRun.case_id };
}

async function newPage(context, file, errors) {
  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push(`${path.basename(file)}: ${e}`));
  page.on("console", (m) => {
    if (m.type() === "error") {
      errors.push(`${path.basename(file)}: console: ${m.text()}`);
    }
  });
  await page.goto(fileUrl(file), { waitUntil: "load" });
  return page;
}

const shownCount = (page) =>
  page.$$eval("#case-list > div.case", (rows) => rows.filter((r) => !r.hidden).length);
const shownText = (page) => page.textContent("#shown");

async function select(page, filter, value) {
  await page.selectOption(`select[data-filter=${filter}]`, value);
}

async function resetFilters(page) {
  await page.evaluate(() => {
    document.querySelectorAll("select[data-filter]").forEach((s) => {
      s.selectedIndex = 0;
      s.dispatchEvent(new Event("change"));
    });
    const box = document.getElementById("differ-only");
    if (box && box.checked) {
      box.checked = false;
      box.dispatchEvent(new Event("change"));
    }
  });
  await page.fill("#case-search", "");
  await page.press("#case-search", "Enter");
}

/** The rows of a chart, top to bottom, with their keys. */
function chartRows(page, title) {
  return page.evaluate((title) => {
    const svg = [...document.querySelectorAll("svg.chart")].find((s) => s.getAttribute("aria-label") === title);
    return [...svg.querySelectorAll("g.row")]
      .map((g) => ({
        y: +g.getAttribute("transform").match(/translate\(0 ([-0-9.]+)\)/)[1],
        acc: +g.dataset.acc,
        size: +g.dataset.size,
        nat: +g.dataset.nat,
        sec: +g.dataset.sec,
        label: g.querySelector("title").textContent,
      }))
      .sort((a, b) => a.y - b.y);
  }, title);
}

function ordered(rows, key, direction) {
  return rows.every((r, i) => i === 0 || r.sec !== rows[i - 1].sec || direction * (r[key] - rows[i - 1][key]) >= 0);
}

/** Opens the case row `id` and returns its transcript's text once drawn. */
async function openCase(page, id) {
  const row = page.locator(`[id="case-${id}"]`);
  if (!(await row.evaluate((el) => el.classList.contains("open")))) {
    await row.locator(".case-head").click();
  }
  await row.locator(".case-body ol.turns").waitFor();
  return row.locator(".case-body").evaluate((b) => b.textContent);
}

async function checkDemo(context, pageFile, results, errors) {
  const page = await newPage(context, pageFile, errors);
  const cases = results.cases;
  const loadMs = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    return nav.loadEventEnd - nav.startTime;
  });
  check("demo page loads in under a second", loadMs < 1000, `${loadMs} ms`);
  check("every case that ran is shown", (await shownText(page)) === `${cases.length} of ${cases.length} cases shown`, await shownText(page));

  // Chart order: accuracy (worst first) by default, then size, then the breakdown's own.
  for (const title of ["Case accuracy by chapter", "Case accuracy by subcategory", "Question accuracy by clinical stage"]) {
    check(`${title}: worst first by default`, ordered(await chartRows(page, title), "acc", 1));
  }
  await page.check("input[name=chart-order][value=size]");
  check("size order: largest first", ordered(await chartRows(page, "Case accuracy by chapter"), "size", -1));
  check("size order, subcategories within their chapter", ordered(await chartRows(page, "Case accuracy by subcategory"), "size", -1));
  await page.check("input[name=chart-order][value=natural]");
  const natural = await chartRows(page, "Case accuracy by chapter");
  const numbers = natural.map((r) => Number((r.label.match(/^Chapter (\d+)/) || [0, 999])[1]));
  check("own order: chapters by chapter number", numbers.every((n, i) => i === 0 || n > numbers[i - 1]), numbers.join(","));
  await page.check("input[name=chart-order][value=accuracy]");
  check("back to worst first", ordered(await chartRows(page, "Case accuracy by chapter"), "acc", 1));
  const stripes = await page.evaluate(() => {
    const svg = document.querySelector("svg.chart g.row").ownerSVGElement;
    return [...svg.querySelectorAll("rect.stripe")].sort((a, b) => a.getAttribute("y") - b.getAttribute("y")).map((r) => r.getAttribute("fill"));
  });
  check("stripes alternate after reordering", stripes.every((f, i) => (i % 2 === 0) === (f !== "none")), stripes.join(","));

  // Case-level filter.
  const fully = cases.filter((c) => c.mcqs.length && c.mcqs.every((m) => outcomeOf(m) === "correct")).length;
  await select(page, "case", "fully_right");
  check("case filter: fully right", (await shownCount(page)) === fully, `${await shownCount(page)} vs ${fully}`);
  await select(page, "case", "some_wrong");
  check("case filter: some wrong", (await shownCount(page)) === cases.length - fully);
  const label = await page.textContent("select[data-filter=case] option[value=fully_right]");
  check("case filter labelled in cases", label === `fully right (${fully} case${fully === 1 ? "" : "s"})`, label);
  await resetFilters(page);

  // Question-level filter: cases with at least one wrong answer, labelled in questions.
  const wrongMcqs = cases.flatMap((c) => c.mcqs).filter((m) => outcomeOf(m) === "wrong").length;
  const wrongCases = cases.filter((c) => c.mcqs.some((m) => outcomeOf(m) === "wrong")).length;
  await select(page, "outcome", "wrong");
  check("question filter: cases with a wrong answer", (await shownCount(page)) === wrongCases);
  const wrongLabel = await page.textContent("select[data-filter=outcome] option[value=wrong]");
  check("question filter labelled in questions", wrongLabel === `wrong (${wrongMcqs} questions in ${wrongCases} cases)`, wrongLabel);
  await resetFilters(page);

  const chapter = cases[0].level1;
  await select(page, "chapter", chapter);
  check("chapter filter", (await shownCount(page)) === cases.filter((c) => c.level1 === chapter).length);
  const options = await page.$$eval("select[data-filter=chapter] option", (o) => o.map((x) => x.value).filter(Boolean));
  const optionNumbers = options.map((o) => Number((o.match(/^Chapter (\d+)/) || [0, 999])[1]));
  check("chapter filter in chapter order", optionNumbers.every((n, i) => i === 0 || n >= optionNumbers[i - 1]), options.join(" | "));
  await resetFilters(page);

  // Search: by case id, by title, by question text; nothing for gibberish.
  const id = String(cases[5].case_id);
  await page.fill("#case-search", id);
  await page.press("#case-search", "Enter");
  await page.waitForFunction(() => !document.getElementById("shown").textContent.startsWith("Searching"));
  const byId = await page.$$eval("#case-list > div.case", (rows) => rows.filter((r) => !r.hidden).map((r) => r.id));
  check("search by case id", byId.includes(`case-${id}`) && byId.length >= 1, byId.join(","));
  const dataset = fs
    .readFileSync(path.join(repo, "data/demo/demo.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const title = dataset[0].title;
  await page.fill("#case-search", title.toUpperCase());
  await page.press("#case-search", "Enter");
  check("search by title, any case", (await shownCount(page)) >= 1);
  const question = dataset[0].exam_creation.final_policy.mcqs[1].question;
  const phrase = question.split(/\s+/).slice(2, 6).join(" ");
  await page.fill("#case-search", phrase);
  await page.press("#case-search", "Enter");
  const found = await page.$$eval("#case-list > div.case", (rows) => rows.filter((r) => !r.hidden).map((r) => r.id.slice(5)));
  let allHave = found.length >= 1;
  for (const caseId of found) {
    allHave = allHave && (await openCase(page, caseId)).toLowerCase().includes(phrase.toLowerCase());
  }
  check(`search by question text ("${phrase}"): every case shown has it`, allHave, found.join(","));
  await page.fill("#case-search", "zzqx nothing like this");
  await page.press("#case-search", "Enter");
  check("search for nothing shows nothing", (await shownCount(page)) === 0 && (await shownText(page)).startsWith("0 of"));
  await resetFilters(page);
  await page.click("#collapse-all");

  // A transcript: what was sent, pictures named by file in local mode.
  const text = await openCase(page, String(cases[0].case_id));
  check("transcript: the text sent", text.includes("Sent to the model") && text.includes("* Question:"));
  check("transcript: the reply", text.includes(cases[0].mcqs[0].model_response.split("\n")[0]));
  const pictures = await page.$$eval(`[id="case-${cases[0].case_id}"] ul.pics li`, (l) => l.map((x) => x.textContent));
  if (results.meta.image_mode === "local") {
    check(
      "local mode: pictures named by file, sent as data URIs",
      pictures.length > 0 && pictures.every((p) => !p.includes("http") && p.includes("data URI")),
      pictures.join(" | ")
    );
  }
  await page.close();
}

async function checkVariant(context, pageFile, file, notRun, errors) {
  const page = await newPage(context, pageFile, errors);
  const cases = file.cases;
  check("variant: every case that ran is shown", (await shownText(page)) === `${cases.length} of ${cases.length + 1} cases shown`, await shownText(page));

  // Case-level outcomes: the failed case, the case not run.
  await select(page, "case", "api_failure");
  const failedIds = await page.$$eval("#case-list > div.case", (rows) => rows.filter((r) => !r.hidden).map((r) => r.id));
  check("case filter: API failure", failedIds.length === 1 && failedIds[0] === `case-${cases[1].case_id}`, failedIds.join(","));
  await select(page, "case", "not_run");
  const notRunIds = await page.$$eval("#case-list > div.case", (rows) => rows.filter((r) => !r.hidden).map((r) => r.id));
  check("case filter: not run", notRunIds.length === 1 && notRunIds[0] === `case-${notRun}`, notRunIds.join(","));
  const notRunText = await openCase(page, String(notRun));
  check("a case not run: its questions, not sent", notRunText.includes("Not sent: this case was not run") && !notRunText.includes("Sent to the model"));
  await resetFilters(page);

  // Skipped questions are not under "sent".
  const failedCase = await openCase(page, String(cases[1].case_id));
  const turns = await page.$$eval(`[id="case-${cases[1].case_id}"] li.turn`, (t) => t.map((x) => x.textContent));
  check("the failed question was sent, with no reply", turns[1].includes("Sent to the model") && turns[1].includes("(none: the request failed)"));
  check(
    "skipped questions are shown as not sent",
    turns.slice(2).every((t) => t.includes("Not sent: skipped") && !t.includes("Sent to the model")) && turns.length > 2,
    failedCase
  );

  // Disagreements: exactly the MCQs whose readings differ.
  const expected = [];
  for (const c of cases) {
    for (const m of c.mcqs) {
      const [a, b] = [reading(m.extracted_answer), reading(m.robust_answer)];
      const differ = a !== null && b !== null ? a.toUpperCase() !== b.toUpperCase() : (a === null) !== (b === null);
      if ("robust_answer" in m && !m.error && differ) {
        expected.push(`${c.case_id}/Q${m.mcq_index + 1}`);
      }
    }
  }
  check("the table of disagreements is hidden at first", await page.isHidden("#disagreements"));
  await page.check("#differ-only");
  const listed = await page.$$eval("#disagreements tr[data-case]", (r) => r.map((x) => `${x.dataset.case}/Q${x.dataset.q}`));
  check("disagreements: exactly the MCQs whose readings differ", JSON.stringify(listed.sort()) === JSON.stringify(expected.sort()), `${listed} vs ${expected}`);
  const differCases = new Set(expected.map((e) => e.split("/")[0])).size;
  check("disagreements filter: the cases with one", (await shownCount(page)) === differCases, await shownText(page));
  const shownTurn = await openCase(page, String(cases[0].case_id));
  check("a disagreement shows both readings and their rules", shownTurn.includes("Official reading") && shownTurn.includes("Robust reading") && shownTurn.includes("(phrase)"));
  await resetFilters(page);
  await page.click("#collapse-all");

  // "Open the first 50 shown": 50 at a time, saying how many remain, quickly.
  const total = cases.length;
  const started = Date.now();
  await page.click("#expand-all");
  await page.waitForFunction(() => document.querySelectorAll("#case-list div.case.open .case-body ol.turns").length >= 50);
  const took = Date.now() - started;
  const open = await page.$$eval("#case-list div.case.open", (r) => r.length);
  const note = await page.textContent("#open-note");
  check("open: the first 50 shown", open === 50, `${open} open`);
  check("open: says how many remain", note.includes(`${total - 50} more shown cases are still closed`), note);
  check("open 50 without freezing the page", took < 1500, `${took} ms`);
  await page.click("#expand-all");
  check("open: the next 50", (await page.$$eval("#case-list div.case.open", (r) => r.length)) === 100);
  await page.click("#collapse-all");
  check("close all", (await page.$$eval("#case-list div.case.open", (r) => r.length)) === 0);

  // A link to a case opens it.
  await page.evaluate((id) => { location.hash = `case-${id}`; }, String(cases[7].case_id));
  await page.locator(`[id="case-${cases[7].case_id}"] .case-body ol.turns`).waitFor();
  check("a link to a case opens it", true);
  await page.close();
}

async function main() {
  liveclin(["demo"]);
  const demoResults = path.join(work, "results/demo-mock_demo.json");
  const data = ["--data-dir", repo];
  liveclin(["report", demoResults, "--html", ...data]);
  const demoPage = path.join(work, "results/demo-mock_demo.html");
  const demo = JSON.parse(fs.readFileSync(demoResults, "utf8"));
  const { file, notRun } = variant(demo);
  const variantResults = path.join(work, "variant.json");
  fs.writeFileSync(variantResults, JSON.stringify(file));
  const variantPage = path.join(work, "variant.html");
  liveclin(["report", variantResults, `--html=${variantPage}`, ...data]);

  const errors = [];
  const { context, close } = await launch();
  try {
    await checkDemo(context, demoPage, demo, errors);
    await checkVariant(context, variantPage, file, notRun, errors);
  } finally {
    await close();
  }
  check("no JavaScript error on the pages", errors.length === 0, errors.join("; "));
  console.log(`check-page: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log(`check-page: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
