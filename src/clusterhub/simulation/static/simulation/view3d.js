/* A small rotating point view of a run's casting surface, Niyama-risk cells and isolated liquid
   pockets, drawn on a <canvas>. No library, no network beyond the run's own points.json. */
(function () {
  "use strict";
  var canvas = document.getElementById("sim-3d");
  if (!canvas || !canvas.getContext) { return; }
  var ctx = canvas.getContext("2d");
  var data = null, yaw = 0.6, pitch = -0.5, drag = null, spin = true;
  var LAYERS = [["outline", "rgba(120,140,140,0.25)", 1.5], ["risk", "rgba(224,138,30,0.85)", 2.5],
                ["pockets", "rgba(200,30,40,0.95)", 3]];

  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!data) { return; }
    var e = data.extent_mm, cx = e[0] / 2, cy = e[1] / 2, cz = e[2] / 2;
    var scale = 0.8 * Math.min(canvas.width, canvas.height) / Math.max(e[0], e[1], e[2]);
    var cyaw = Math.cos(yaw), syaw = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    var pts = [];
    LAYERS.forEach(function (layer, li) {
      (data[layer[0]] || []).forEach(function (p) {
        var x = p[0] - cx, y = p[1] - cy, z = p[2] - cz;
        var x1 = cyaw * x - syaw * y, y1 = syaw * x + cyaw * y;
        var y2 = cp * y1 - sp * z, z2 = sp * y1 + cp * z;
        pts.push([x1, z2, y2, li]);
      });
    });
    pts.sort(function (a, b) { return b[2] - a[2]; });
    pts.forEach(function (p) {
      var layer = LAYERS[p[3]];
      ctx.fillStyle = layer[1];
      var r = layer[2];
      ctx.fillRect(canvas.width / 2 + p[0] * scale - r / 2, canvas.height / 2 - p[1] * scale - r / 2, r, r);
    });
  }

  function tick() {
    if (spin && !drag) { yaw += 0.01; draw(); }
    window.requestAnimationFrame(tick);
  }

  canvas.addEventListener("pointerdown", function (ev) {
    drag = [ev.clientX, ev.clientY]; spin = false; canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener("pointermove", function (ev) {
    if (!drag) { return; }
    yaw += (ev.clientX - drag[0]) * 0.01;
    pitch = Math.max(-1.5, Math.min(1.5, pitch + (ev.clientY - drag[1]) * 0.01));
    drag = [ev.clientX, ev.clientY];
    draw();
  });
  canvas.addEventListener("pointerup", function () { drag = null; });

  fetch(canvas.getAttribute("data-points"), {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (d) { data = d; canvas.setAttribute("data-loaded", "1"); draw(); tick(); });
})();
