// Runs once when the page loads (app.py passes this file as launch(js=...)). It fixes,
// in the page, what Gradio 6.31 has no option for; each fix says why. Gradio re-renders
// parts of the page as values change, so the fixes run again on every change to the DOM;
// each one only writes when something is missing, so it does not feed its own observer.
() => {
  const CANVAS_NAME = "Drawing area: draw a digit or a number with a finger, pen or mouse";
  const EMPTY_VIEW_NAME = "Nothing to show yet";

  const setAttribute = (element, name, value) => {
    if (element && element.getAttribute(name) !== value) element.setAttribute(name, value);
  };

  const fixPage = () => {
    const editor = document.getElementById("canvas");
    if (editor) {
      // The Sketchpad opens, and reopens after Clear, with no tool selected and a "select
      // the draw tool" prompt (the `.empty` overlay). Select the brush whenever that
      // prompt shows, so people can draw straight away. The brush is the first round
      // tool button; its aria-label is translated, so it is not matched by name.
      if (editor.querySelector(".empty")) editor.querySelector("button.quite-round")?.click();

      // The <canvas> has no name or role, and its box announces "Click to upload or drop
      // files", which the Sketchpad does not take. Name the drawing canvas; hide the
      // editor's second (crop) canvas, which is never shown here.
      editor.querySelector("[aria-dropeffect]")?.removeAttribute("aria-label");
      const [drawing, crop] = editor.querySelectorAll("canvas");
      setAttribute(drawing, "role", "img");
      setAttribute(drawing, "aria-label", CANVAS_NAME);
      setAttribute(crop, "aria-hidden", "true");
    }

    // Screen readers announce each new answer ("It's a 4", "Not sure. ..."): the answer
    // above the bars is a live region.
    setAttribute(document.getElementById("answer"), "aria-live", "polite");

    // An empty image box is a <div aria-label="Empty value">, and a div without a role
    // may not carry a name (axe: aria-prohibited-attr). Give it the role its name needs.
    for (const empty of document.querySelectorAll("#seen .empty[aria-label]")) {
      setAttribute(empty, "role", "img");
      setAttribute(empty, "aria-label", EMPTY_VIEW_NAME);
    }
  };

  new MutationObserver(fixPage).observe(document.body, {childList: true, subtree: true});
  fixPage();
}
