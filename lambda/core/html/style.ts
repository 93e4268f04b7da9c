// The page's only style sheet (its SHA-256 goes into the Content-Security-Policy, so no other style runs).
// ASCII only; light and dark; one column on a phone, wide tables scroll inside their own box.

export const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--text:#1d2433;--muted:#5d6778;--line:#e3e6eb;--head:#f1f3f6;
--crit:#b42318;--crit-bg:#fef3f2;--crit-line:#fecdca;--warn:#b54708;--warn-bg:#fffaeb;--warn-line:#fedf89;
--info:#175cd3;--info-bg:#eff8ff;--info-line:#b2ddff;--ok:#067647;--ok-bg:#ecfdf3;--ok-line:#abefc6;
--bar:#e3e6eb;--idle:#d92d20;--used:#2e90fa}
@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--card:#171d26;--text:#e6e9ee;--muted:#9aa4b2;--line:#2a3341;
--head:#1e2631;--crit:#f97066;--crit-bg:#2b1614;--crit-line:#7a271a;--warn:#fdb022;--warn-bg:#2a2111;--warn-line:#7a4a0b;
--info:#53b1fd;--info-bg:#102a43;--info-line:#1849a9;--ok:#47cd89;--ok-bg:#0e2a1c;--ok-line:#085d3a;--bar:#2a3341}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;overflow-wrap:anywhere}
main{max-width:1080px;margin:0 auto;padding:16px}
header.top{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline;justify-content:space-between;margin:4px 0 12px}
h1{font-size:20px;margin:0;line-height:1.3}
h2{font-size:17px;margin:0 0 10px}
h3{font-size:15px;margin:14px 0 8px}
.meta{color:var(--muted);font-size:13px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
code{background:var(--head);border-radius:4px;padding:0 .2em}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin:0 0 14px}
.verdict{border-width:1px 1px 1px 6px}
.verdict h2{font-size:19px;margin:0 0 4px}
.verdict p{margin:4px 0}
.v-critical{border-color:var(--crit-line);border-left-color:var(--crit);background:var(--crit-bg)}
.v-warning{border-color:var(--warn-line);border-left-color:var(--warn);background:var(--warn-bg)}
.v-ok{border-color:var(--ok-line);border-left-color:var(--ok);background:var(--ok-bg)}
.v-failed{border-color:var(--crit-line);border-left-color:var(--crit);background:var(--crit-bg)}
.v-critical h2,.v-failed h2{color:var(--crit)}.v-warning h2{color:var(--warn)}.v-ok h2{color:var(--ok)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-top:12px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.tile b{display:block;font-size:20px;line-height:1.3}
.tile span{color:var(--muted);font-size:12px}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;letter-spacing:.02em;border:1px solid}
.s-critical{color:var(--crit);background:var(--crit-bg);border-color:var(--crit-line)}
.s-warning{color:var(--warn);background:var(--warn-bg);border-color:var(--warn-line)}
.s-info{color:var(--info);background:var(--info-bg);border-color:var(--info-line)}
.s-ok{color:var(--ok);background:var(--ok-bg);border-color:var(--ok-line)}
.finding{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:8px;padding:10px 12px;margin:0 0 10px}
.finding.f-critical{border-left-color:var(--crit)}.finding.f-warning{border-left-color:var(--warn)}.finding.f-info{border-left-color:var(--info)}
.finding header{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center}
.finding .kind{font-weight:600}
.finding p{margin:6px 0}
.subject{display:flex;flex-wrap:wrap;gap:6px}
.chip{background:var(--head);border:1px solid var(--line);border-radius:6px;padding:0 6px;font-size:13px}
.chip i{font-style:normal;color:var(--muted)}
dl.evidence{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:4px 12px;margin:8px 0}
dl.evidence div{border-top:1px solid var(--line);padding-top:2px}
dl.evidence dt{color:var(--muted);font-size:12px}
dl.evidence dd{margin:0;font-weight:600}
.fix{background:var(--head);border-radius:6px;padding:6px 10px}
.reclaim{border:1px solid var(--line);border-left-width:4px;border-radius:8px;padding:6px 12px;margin:0 0 12px}
.reclaim p{margin:4px 0}
.r-warning{border-color:var(--warn-line);border-left-color:var(--warn);background:var(--warn-bg)}
.r-critical{border-color:var(--crit-line);border-left-color:var(--crit);background:var(--crit-bg)}
.r-ok{border-color:var(--ok-line);border-left-color:var(--ok);background:var(--ok-bg)}
.r-info{border-color:var(--info-line);border-left-color:var(--info);background:var(--info-bg)}
.fix b{color:var(--muted);font-weight:600}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
th{background:var(--head);font-size:12px;color:var(--muted);font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.k{min-width:8em;max-width:280px}
td .badge,.nw{white-space:nowrap}
td.bars{min-width:90px}
td.addrs{min-width:7em}.small{font-size:13px}
tr.flag td:first-child{box-shadow:inset 3px 0 0 var(--warn)}tr.flag-c td:first-child{box-shadow:inset 3px 0 0 var(--crit)}
.bar{display:block;width:100%;min-width:80px;height:10px;margin-top:5px}
.meter{display:block;width:100%;height:18px;margin:6px 0}
.b-track{fill:var(--bar)}.b-idle{fill:var(--idle)}.b-used{fill:var(--used)}.b-warn{fill:var(--warn)}.b-crit{fill:var(--crit)}
.b-age0{fill:#84caff}.b-age1{fill:#2e90fa}.b-age2{fill:#1849a9}.b-age3{fill:#7a5af8}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;color:var(--muted);margin:6px 0 0;padding:0;list-style:none}
.legend svg{width:10px;height:10px;vertical-align:-1px;margin-right:4px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:14px}
.grid2>div{min-width:0}
.more{color:var(--muted);font-size:13px;margin:8px 0 0}
.muted{color:var(--muted)}
.err{color:var(--crit)}
ul.errors{margin:6px 0;padding-left:20px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0;font-size:14px}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.chart{display:block;width:100%;max-width:600px;height:auto}
.chart text{font-size:12px;fill:var(--muted)}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart polyline{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.c0{stroke:#d92d20;fill:#d92d20}.c1{stroke:#2e90fa;fill:#2e90fa}.c2{stroke:#f79009;fill:#f79009}.c3{stroke:#7a5af8;fill:#7a5af8}.c4{stroke:#12b76a;fill:#12b76a}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 0 24px}
a{color:var(--info)}
@media (max-width:600px){main{padding:10px}section{padding:12px}h1{font-size:18px}.tile b{font-size:18px}th,td{padding:5px 6px}
dl.facts{grid-template-columns:minmax(0,45%) minmax(0,1fr)}}
`;
