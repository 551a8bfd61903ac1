<?php
/**
 * Dependencies of the block's editor script (no build step: plain ES5 using WordPress globals).
 *
 * @package PressRelay
 */

return array(
	'dependencies' => array( 'wp-blocks', 'wp-element', 'wp-block-editor', 'wp-components', 'wp-i18n', 'wp-server-side-render' ),
	'version'      => '0.1.0',
);
