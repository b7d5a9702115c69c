"use strict";(self.rspackChunk_nbshelf_share=self.rspackChunk_nbshelf_share||[]).push([[232],{475(e,t,n){var r=n(601),a=n.n(r),s=n(314),i=(n.n(s))()(a());i.push([e.id,`/*
    See the JupyterLab Developer Guide for useful CSS Patterns:

    https://jupyterlab.readthedocs.io/en/stable/developer/css.html
*/
.nbshelf-share {
  min-width: 420px;
  max-width: 640px;
}

.nbshelf-share-kinds label {
  display: block;
  margin: 4px 0;
}

.nbshelf-share-create {
  margin: 8px 0;
}

.nbshelf-share-row {
  display: flex;
  gap: 6px;
  margin-top: 8px;
}

.nbshelf-share-link {
  flex: 1;
  font-family: var(--jp-code-font-family);
}

.nbshelf-share-links a {
  margin-right: 12px;
  color: var(--jp-content-link-color);
}

.nbshelf-share-note,
.nbshelf-share-status {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
}

.nbshelf-share h3 {
  font-size: var(--jp-ui-font-size1);
  margin: 12px 0 4px;
}

.nbshelf-share-list {
  padding-left: 0;
  list-style: none;
}

.nbshelf-share-list li {
  display: flex;
  gap: 6px;
  align-items: center;
  margin: 2px 0;
}

.nbshelf-share-list li span {
  flex: 1;
}

/* the dialog's body styles every input as a full-width text box: not these */
.nbshelf-share-kinds input[type='radio'] {
  appearance: auto;
  width: auto;
  height: auto;
  min-height: 0;
  margin: 0 6px 0 0;
  vertical-align: middle;
}

/* JupyterLab's Dialog wraps every select of its body in a full-width flex column
   (.jp-select-wrapper): keep the expiry select inline, after its label's text */
.nbshelf-share-kinds .jp-select-wrapper {
  display: inline-flex;
  width: auto;
  height: auto;
  margin: 0 0 0 4px;
  padding: 0;
  vertical-align: middle;
}

.nbshelf-share-kinds select.nbshelf-share-expiry {
  display: inline-block;
  width: auto;
  height: 28px;
  margin: 0;
}
`,""]),n.d(t,{},{A:i})},314(e){e.exports=function(e){var t=[];return t.toString=function(){return this.map(function(t){var n="",r=void 0!==t[5];return t[4]&&(n+="@supports (".concat(t[4],") {")),t[2]&&(n+="@media ".concat(t[2]," {")),r&&(n+="@layer".concat(t[5].length>0?" ".concat(t[5]):""," {")),n+=e(t),r&&(n+="}"),t[2]&&(n+="}"),t[4]&&(n+="}"),n}).join("")},t.i=function(e,n,r,a,s){"string"==typeof e&&(e=[[null,e,void 0]]);var i={};if(r)for(var o=0;o<this.length;o++){var l=this[o][0];null!=l&&(i[l]=!0)}for(var c=0;c<e.length;c++){var p=[].concat(e[c]);r&&i[p[0]]||(void 0!==s&&(void 0===p[5]||(p[1]="@layer".concat(p[5].length>0?" ".concat(p[5]):""," {").concat(p[1],"}")),p[5]=s),n&&(p[2]&&(p[1]="@media ".concat(p[2]," {").concat(p[1],"}")),p[2]=n),a&&(p[4]?(p[1]="@supports (".concat(p[4],") {").concat(p[1],"}"),p[4]=a):p[4]="".concat(a)),t.push(p))}},t}},601(e){e.exports=function(e){return e[1]}},72(e){var t=[];function n(e){for(var n=-1,r=0;r<t.length;r++)if(t[r].identifier===e){n=r;break}return n}function r(e,r){for(var a={},s=[],i=0;i<e.length;i++){var o=e[i],l=r.base?o[0]+r.base:o[0],c=a[l]||0,p="".concat(l," ").concat(c);a[l]=c+1;var u=n(p),f={css:o[1],media:o[2],sourceMap:o[3],supports:o[4],layer:o[5]};if(-1!==u)t[u].references++,t[u].updater(f);else{var h=function(e,t){var n=t.domAPI(t);return n.update(e),function(t){t?(t.css!==e.css||t.media!==e.media||t.sourceMap!==e.sourceMap||t.supports!==e.supports||t.layer!==e.layer)&&n.update(e=t):n.remove()}}(f,r);r.byIndex=i,t.splice(i,0,{identifier:p,updater:h,references:1})}s.push(p)}return s}e.exports=function(e,a){var s=r(e=e||[],a=a||{});return function(e){e=e||[];for(var i=0;i<s.length;i++){var o=n(s[i]);t[o].references--}for(var l=r(e,a),c=0;c<s.length;c++){var p=n(s[c]);0===t[p].references&&(t[p].updater(),t.splice(p,1))}s=l}}},659(e){var t={};e.exports=function(e,n){var r=function(e){if(void 0===t[e]){var n=document.querySelector(e);if(window.HTMLIFrameElement&&n instanceof window.HTMLIFrameElement)try{n=n.contentDocument.head}catch(e){n=null}t[e]=n}return t[e]}(e);if(!r)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");r.appendChild(n)}},540(e){e.exports=function(e){var t=document.createElement("style");return e.setAttributes(t,e.attributes),e.insert(t,e.options),t}},56(e,t,n){e.exports=function(e){var t=n.nc;t&&e.setAttribute("nonce",t)}},206(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var t=e.insertStyleElement(e);return{update:function(n){var r,a,s;r="",n.supports&&(r+="@supports (".concat(n.supports,") {")),n.media&&(r+="@media ".concat(n.media," {")),(a=void 0!==n.layer)&&(r+="@layer".concat(n.layer.length>0?" ".concat(n.layer):""," {")),r+=n.css,a&&(r+="}"),n.media&&(r+="}"),n.supports&&(r+="}"),(s=n.sourceMap)&&"u">typeof btoa&&(r+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(s))))," */")),e.styleTagTransform(r,t,e.options)},remove:function(){var e;null===(e=t).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,t){if(t.styleSheet)t.styleSheet.cssText=e;else{for(;t.firstChild;)t.removeChild(t.firstChild);t.appendChild(document.createTextNode(e))}}},579(e,t,n){var r=n(72),a=n.n(r),s=n(206),i=n.n(s),o=n(659),l=n.n(o),c=n(56),p=n.n(c),u=n(540),f=n.n(u),h=n(113),d=n.n(h),m=n(475),v={};v.styleTagTransform=d(),v.setAttributes=p(),v.insert=l().bind(null,"head"),v.domAPI=i(),v.insertStyleElement=f(),a()(m.A,v),m.A&&m.A.locals&&m.A.locals}}]);