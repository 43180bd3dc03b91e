"use strict";
// The autopipe page: submits jobs to the native API, follows their steps
// over Server-Sent Events and shows the results with their parameters.
const $ = (id) => document.getElementById(id);

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const key = $("apikey").value || localStorage.getItem("autopipe.key") || "";
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function api(path, opts) {
  opts = opts || {};
  const res = await fetch(path, Object.assign({}, opts, { headers: headers(opts.headers) }));
  if (!res.ok) {
    let msg = res.status + " " + res.statusText;
    try { const body = await res.json(); msg = body.error || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return res;
}

async function loadLists() {
  try {
    const models = await (await api("/v1/models")).json();
    $("model").replaceChildren(...models.data.map((m) => new Option(m.id, m.id, m.id === models.current, m.id === models.current)));
    const sch = await (await api("/v1/schedulers")).json();
    sch.schedulers.forEach((s) => $("scheduler").add(new Option(s, s)));
    $("ready").textContent = models.data.length + " model(s)";
  } catch (e) {
    $("ready").textContent = "cannot list models: " + e.message + " (API key?)";
  }
}

function readFile(input) {
  const f = input.files && input.files[0];
  if (!f) return Promise.resolve("");
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}

function num(id) {
  const v = $(id).value;
  return v === "" ? undefined : Number(v);
}

async function request() {
  const task = $("task").value;
  const body = {
    model: $("model").value, task: task, prompt: $("prompt").value, negative_prompt: $("negative").value,
    width: num("width"), height: num("height"), steps: num("steps"), guidance_scale: num("guidance"),
    seed: num("seed"), n: num("n"), strength: num("strength"), scheduler: $("scheduler").value,
  };
  if (task !== "text2img") body.image = await readFile($("image"));
  if (task === "inpaint") body.mask = await readFile($("mask"));
  return body;
}

function jobRow(id) {
  const row = document.createElement("div");
  row.className = "job";
  row.dataset.job = id;
  const label = document.createElement("span");
  label.className = "state";
  label.textContent = "queued";
  const bar = document.createElement("progress");
  bar.max = 1; bar.value = 0;
  row.append(label, bar);
  $("jobs").prepend(row);
  return { row, label, bar };
}

// follow reads the job's event stream until its final status.
async function follow(id, ui) {
  const res = await api("/v1/jobs/" + id + "/events");
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = /^event: (.*)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (!ev || !data) continue;
      const v = JSON.parse(data[1]);
      if (ev[1] === "progress") {
        ui.bar.max = v.total; ui.bar.value = v.step;
        ui.label.textContent = "step " + v.step + "/" + v.total;
      } else if (ev[1] === "status") {
        if (await status(v, ui)) return;
      }
    }
  }
}

// status shows a status event; it returns true once the job is final.
async function status(st, ui) {
  if (st.state === "running" && !st.total) ui.label.textContent = "running";
  if (st.state === "queued") ui.label.textContent = "queued";
  if (st.state === "done") {
    ui.bar.value = ui.bar.max;
    ui.label.textContent = "done";
    for (let i = 0; i < (st.image_urls || []).length; i++) {
      await addImage(st.image_urls[i], (st.info || [])[i] || "");
    }
    return true;
  }
  if (["failed", "invalid", "cancelled"].includes(st.state)) {
    ui.row.classList.add("error");
    ui.label.textContent = st.state + ": " + (st.error || "");
    return true;
  }
  return false;
}

async function addImage(url, info) {
  const blob = await (await api(url)).blob();
  const fig = document.createElement("figure");
  fig.className = "result";
  const img = document.createElement("img");
  img.src = URL.createObjectURL(blob);
  img.alt = info.split("\n")[0];
  const cap = document.createElement("figcaption");
  const pre = document.createElement("pre");
  pre.textContent = info;
  cap.append(pre);
  fig.append(img, cap);
  $("gallery").prepend(fig);
}

async function submit(ev) {
  ev.preventDefault();
  if ($("apikey").value) localStorage.setItem("autopipe.key", $("apikey").value);
  let ui = null;
  try {
    const body = await request();
    const res = await api("/v1/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const job = await res.json();
    ui = jobRow(job.id);
    await follow(job.id, ui);
  } catch (e) {
    if (!ui) ui = jobRow("");
    ui.row.classList.add("error");
    ui.label.textContent = e.message;
  }
}

function showImageInputs() {
  const t = $("task").value;
  $("image").disabled = t === "text2img";
  $("mask").disabled = t !== "inpaint";
}

$("form").addEventListener("submit", submit);
$("task").addEventListener("change", showImageInputs);
$("apikey").value = localStorage.getItem("autopipe.key") || "";
showImageInputs();
loadLists();
