// runplan serve: what JavaScript adds to pages that work without it. A what-if slider moves
// its number (the form re-judges on change, through htmx); tables sort by a header's click
// and filter as you type. No inline script anywhere: the page's CSP allows this file only.
(function(){
  function sliders(root){
    root.querySelectorAll('input[type=range][data-for]').forEach(function(r){
      if(r.dataset.wired)return; r.dataset.wired='1';
      var n=document.getElementById(r.dataset.for); if(!n)return;
      r.addEventListener('input',function(){n.value=Number(r.value).toPrecision(4).replace(/\.?0+$/,'')});
      n.addEventListener('input',function(){r.value=n.value});
    });
  }
  function cellValue(td){
    var t=td.textContent.trim(), n=parseFloat(t.replace(/[^0-9.\-]/g,''));
    return /^[^A-Za-z]*[0-9]/.test(t)&&!isNaN(n)?n:t.toLowerCase();
  }
  function sortable(table){
    if(table.dataset.wired)return; table.dataset.wired='1';
    var heads=table.querySelectorAll('thead th');
    heads.forEach(function(th,i){
      var b=document.createElement('button'); b.type='button'; b.className='sort';
      b.textContent=th.textContent; th.textContent=''; th.appendChild(b);
      th.setAttribute('aria-sort','none');
      b.addEventListener('click',function(){
        var up=th.getAttribute('aria-sort')!=='ascending';
        heads.forEach(function(h){h.setAttribute('aria-sort','none')});
        th.setAttribute('aria-sort',up?'ascending':'descending');
        var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=cellValue(a.cells[i]),y=cellValue(b.cells[i]);
          return (x<y?-1:x>y?1:0)*(up?1:-1)});
        rows.forEach(function(r){body.appendChild(r)});
      });
    });
  }
  function filter(input){
    if(input.dataset.wired)return; input.dataset.wired='1';
    var table=document.getElementById(input.dataset.filter); if(!table)return;
    input.addEventListener('input',function(){
      var q=input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows,function(r){
        r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0});
    });
  }
  function estate(root){
    var t=root.querySelector('#components');
    if(!t||t.dataset.filtered)return; t.dataset.filtered='1';
    t.classList.add('sortable');
    var p=document.createElement('p'), l=document.createElement('label'), i=document.createElement('input');
    l.htmlFor='component-filter'; l.textContent='Filter components ';
    i.type='search'; i.id='component-filter'; i.dataset.filter='components';
    i.placeholder='name, verdict, view…';
    p.appendChild(l); p.appendChild(i); t.parentNode.insertBefore(p,t);
  }
  function init(root){
    sliders(root); estate(root);
    root.querySelectorAll('table.sortable').forEach(sortable);
    root.querySelectorAll('input[data-filter]').forEach(filter);
  }
  init(document);
  document.addEventListener('htmx:load',function(e){init(document)});
})();
