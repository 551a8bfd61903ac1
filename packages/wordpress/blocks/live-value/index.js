/* PressRelay "Live value" block: editor UI. Rendered on the server (see src/Frontend/Block.php). */
((wp) => {
  var el = wp.element.createElement;
  var __ = wp.i18n.__;
  var InspectorControls = wp.blockEditor.InspectorControls;
  var useBlockProps = wp.blockEditor.useBlockProps;
  var PanelBody = wp.components.PanelBody;
  var TextControl = wp.components.TextControl;
  var ServerSideRender = wp.serverSideRender;

  function field(props, name, label, help) {
    return el(TextControl, {
      label: label,
      help: help,
      value: props.attributes[name],
      onChange: (value) => {
        var update = {};
        update[name] = value;
        props.setAttributes(update);
      },
    });
  }

  wp.blocks.registerBlockType('pressrelay/live-value', {
    edit: (props) =>
      el(
        'div',
        useBlockProps(),
        el(
          InspectorControls,
          null,
          el(
            PanelBody,
            { title: __('Live value', 'pressrelay') },
            field(
              props,
              'channel',
              __('Channel', 'pressrelay'),
              __('e.g. posts, post-42, seats-A12', 'pressrelay'),
            ),
            field(
              props,
              'event',
              __('Event', 'pressrelay'),
              __('e.g. post-published, meta-updated', 'pressrelay'),
            ),
            field(
              props,
              'field',
              __('Field', 'pressrelay'),
              __('Path in the event data, e.g. title or meta.seats_left', 'pressrelay'),
            ),
            field(
              props,
              'baseline',
              __('Baseline', 'pressrelay'),
              __('Text shown until the first event arrives', 'pressrelay'),
            ),
            field(
              props,
              'meta',
              __('Or: post meta key', 'pressrelay'),
              __('Shows this meta value of the current post, live', 'pressrelay'),
            ),
            field(
              props,
              'latest',
              __('Or: latest post field', 'pressrelay'),
              __('title, url, excerpt or author of the newest post, live', 'pressrelay'),
            ),
          ),
        ),
        el(ServerSideRender, { block: 'pressrelay/live-value', attributes: props.attributes }),
      ),
    save: () => null,
  });
})(window.wp);
