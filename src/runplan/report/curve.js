// Draws a component's cost curve (log-log) from the JSON embedded beside it, the
// component's load and the break-even marked; runplan's HTML report inlines this file, so
// the page needs no network (runplan serve serves it as a static file).
function drawCurve(d){
  var s=d.querySelector('script.curve-data'), raw=s?s.textContent:d.dataset.curve;
  if(d.dataset.drawn||!raw||!d.querySelector('.curve-slot'))return; d.dataset.drawn='1';
  var c=JSON.parse(raw);
  var W=640,H=300,L=70,R=20,T=20,B=45, xs=c.requests_per_month;
  var ys=[].concat(c.kubernetes_usd,c.serverless_usd).filter(function(v){return v!==null&&v>0});
  var lx=function(v){return Math.log10(v)}, x0=lx(xs[0]), x1=lx(xs[xs.length-1]);
  var y0=Math.floor(Math.log10(Math.min.apply(null,ys))), y1=Math.ceil(Math.log10(Math.max.apply(null,ys)));
  if(y1===y0)y1=y0+1;
  var px=function(v){return L+(lx(v)-x0)/(x1-x0)*(W-L-R)};
  var py=function(v){return H-B-(Math.log10(Math.max(v,Math.pow(10,y0)))-y0)/(y1-y0)*(H-T-B)};
  var ns='http://www.w3.org/2000/svg', svg=document.createElementNS(ns,'svg');
  svg.setAttribute('viewBox','0 0 '+W+' '+H); svg.setAttribute('class','curve');
  svg.setAttribute('role','img'); svg.setAttribute('aria-label','cost curve of '+d.dataset.name);
  function el(t,a,txt){var e=document.createElementNS(ns,t);for(var k in a)e.setAttribute(k,a[k]);
    if(txt)e.textContent=txt;svg.appendChild(e);return e}
  for(var e=Math.ceil(x0);e<=Math.floor(x1);e++){var X=px(Math.pow(10,e));
    el('line',{x1:X,x2:X,y1:T,y2:H-B,stroke:'#eee'});el('text',{x:X,y:H-B+15,'font-size':10,'text-anchor':'middle'},'1e'+e)}
  for(var e=y0;e<=y1;e++){var Y=py(Math.pow(10,e));
    el('line',{x1:L,x2:W-R,y1:Y,y2:Y,stroke:'#eee'});el('text',{x:L-5,y:Y+3,'font-size':10,'text-anchor':'end'},'$'+Math.pow(10,e).toLocaleString('en-US'))}
  function line(vals,color,label,dy){var pts=[];for(var i=0;i<xs.length;i++){if(vals[i]!==null)pts.push(px(xs[i])+','+py(vals[i]))}
    if(pts.length){el('polyline',{points:pts.join(' '),fill:'none',stroke:color,'stroke-width':2});
    el('text',{x:L+8,y:T+dy,'font-size':11,fill:color},label)}}
  line(c.kubernetes_usd,'#326ce5','Kubernetes ('+c.view+')',12);
  line(c.serverless_usd,'#ff9900','serverless',26);
  var now=px(Math.max(c.current,xs[0]));
  el('line',{x1:now,x2:now,y1:T,y2:H-B,stroke:'#2a2','stroke-dasharray':'4 3'});
  el('text',{x:now+4,y:H-B-6,'font-size':10,fill:'#2a2'},'now');
  if(c.break_even&&c.break_even>=xs[0]&&c.break_even<=xs[xs.length-1]){var be=px(c.break_even);
    el('line',{x1:be,x2:be,y1:T,y2:H-B,stroke:'#555','stroke-dasharray':'2 2'});
    el('text',{x:be+4,y:T+40,'font-size':10,fill:'#555'},'break-even')}
  el('text',{x:(L+W-R)/2,y:H-8,'font-size':11,'text-anchor':'middle'},'load (requests per month, log scale)');
  el('text',{x:14,y:(T+H-B)/2,'font-size':11,'text-anchor':'middle',transform:'rotate(-90 14 '+(T+H-B)/2+')'},'monthly cost (USD)');
  d.querySelector('.curve-slot').appendChild(svg);
}
function drawAll(root){
  root.querySelectorAll('details.component').forEach(function(d){
    d.addEventListener('toggle',function(){if(d.open)drawCurve(d)});
    if(d.open)drawCurve(d);
  });
}
drawAll(document);
// runplan serve: content swapped in by htmx (a what-if) gets its curve too.
document.addEventListener('htmx:load',function(e){drawAll(e.target.parentNode||document)});
