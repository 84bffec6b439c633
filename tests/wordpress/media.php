<?php
/**
 * Real uploads for the media test instance (idempotent: runs once per DB; up.sh runs it
 * after populate.php when WP_LOCAL_MEDIA=1).
 *
 *   WP_LOCAL_PORT=8769 WP_LOCAL_UPLOADS=/var/lib/wp-local/8769/uploads php media.php
 *
 * The images are drawn with PHP GD and uploaded through WordPress's own media_handle_sideload(),
 * so WordPress writes what it writes on a real site: the size variants, a `-scaled` copy of an
 * image over 2560 px with its `original_image` kept in _wp_attachment_metadata. Then posts use
 * them the way themes and editors do:
 *   - a block image with a literal srcset/sizes (wp_get_attachment_image) of the big photo;
 *   - a portrait photo and a PNG diagram, a PDF linked from a post, a WAV in an audio block,
 *     a video with a poster image;
 *   - an image and a PDF that are missing from uploads (404);
 *   - an image on a second host, http://localhost:PORT/..., that a harvester must not fetch unless
 *     told to (the file exists, so it is fetched once allowed).
 */
require __DIR__ . '/_cli.php';
require WP_LOCAL_ABSPATH . 'wp-load.php';
wp_local_block_http();
require_once ABSPATH . 'wp-admin/includes/image.php';
require_once ABSPATH . 'wp-admin/includes/file.php';
require_once ABSPATH . 'wp-admin/includes/media.php';

const WP_LOCAL_MEDIA_MARK = 'wp_local_media_populated';

if (get_option(WP_LOCAL_MEDIA_MARK)) {
    echo 'media.php: already populated (' . get_option(WP_LOCAL_MEDIA_MARK) . ")\n";
    exit(0);
}

function media_must($v, string $what)
{
    if (is_wp_error($v) || !$v) {
        fwrite(STDERR, "media.php: FAILED $what: " . (is_wp_error($v) ? $v->get_error_message() : var_export($v, true)) . "\n");
        exit(1);
    }
    return $v;
}

/** A picture with detail (so JPEG sizes are realistic), the same bytes on every run. */
function media_picture(int $w, int $h, int $seed, string $label)
{
    mt_srand($seed);
    $im = imagecreatetruecolor($w, $h);
    for ($y = 0; $y < $h; $y += 16) {
        imagefilledrectangle($im, 0, $y, $w - 1, $y + 15,
            imagecolorallocate($im, (int) (40 + 120 * $y / $h), 60 + $seed % 80, (int) (200 - 150 * $y / $h)));
    }
    for ($i = 0; $i < 2500; $i++) {
        $c = imagecolorallocatealpha($im, mt_rand(0, 255), mt_rand(0, 255), mt_rand(0, 255), mt_rand(30, 100));
        imagefilledellipse($im, mt_rand(0, $w), mt_rand(0, $h), mt_rand(4, (int) ($w / 8)), mt_rand(4, (int) ($h / 8)), $c);
    }
    imagestring($im, 5, 40, 40, "wp-local media: $label {$w}x{$h}", imagecolorallocate($im, 255, 255, 255));
    return $im;
}

/** A minimal one-page PDF (valid xref offsets), written by hand: no PDF library on the box. */
function media_pdf(string $text): string
{
    $stream = "BT /F1 24 Tf 72 720 Td (" . addcslashes($text, '()\\') . ") Tj ET";
    $objects = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        '<< /Length ' . strlen($stream) . " >>\nstream\n$stream\nendstream",
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ];
    $pdf = "%PDF-1.4\n";
    $offsets = [];
    foreach ($objects as $i => $body) {
        $offsets[] = strlen($pdf);
        $pdf .= ($i + 1) . " 0 obj\n$body\nendobj\n";
    }
    $xref = strlen($pdf);
    $pdf .= "xref\n0 " . (count($objects) + 1) . "\n0000000000 65535 f \n";
    foreach ($offsets as $o) {
        $pdf .= sprintf("%010d 00000 n \n", $o);
    }
    return $pdf . "trailer\n<< /Size " . (count($objects) + 1) . " /Root 1 0 R >>\nstartxref\n$xref\n%%EOF\n";
}

/** One second of a 440 Hz tone, 8 kHz mono 8-bit WAV. */
function media_wav(): string
{
    $rate = 8000;
    $samples = '';
    for ($i = 0; $i < $rate; $i++) {
        $samples .= chr(128 + (int) (100 * sin(2 * M_PI * 440 * $i / $rate)));
    }
    return 'RIFF' . pack('V', 36 + strlen($samples)) . 'WAVEfmt ' . pack('VvvVVvv', 16, 1, 1, $rate, $rate, 1, 8)
        . 'data' . pack('V', strlen($samples)) . $samples;
}

/** A post (local date), its modified date pinned to it. */
function media_post(string $title, string $slug, string $date, string $content = ''): int
{
    return media_must(wp_insert_post(wp_slash([
        'post_title' => $title, 'post_name' => $slug, 'post_status' => 'publish', 'post_type' => 'post',
        'post_date' => $date, 'post_date_gmt' => get_gmt_from_date($date), 'post_content' => $content,
    ]), true), "post $title");
}

function media_set_content(int $post_id, string $content): void
{
    global $wpdb;
    $wpdb->update($wpdb->posts, ['post_content' => $content], ['ID' => $post_id]);
    clean_post_cache($post_id);
}

/** Upload bytes as WordPress's media library does (sizes, -scaled, metadata), attached to a post. */
function media_upload(int $post_id, string $name, string $bytes, string $title, string $alt = ''): int
{
    $tmp = wp_tempnam($name);
    file_put_contents($tmp, $bytes);
    $post = get_post($post_id);
    $id = media_must(media_handle_sideload(['name' => $name, 'tmp_name' => $tmp], $post_id, $title,
        ['post_date' => $post->post_date, 'post_date_gmt' => $post->post_date_gmt]), "upload $name");
    if ($alt !== '') {
        update_post_meta($id, '_wp_attachment_image_alt', $alt);
    }
    return $id;
}

function media_jpeg($im): string
{
    ob_start();
    imagejpeg($im, null, 88);
    imagedestroy($im);
    return ob_get_clean();
}

function media_png($im): string
{
    ob_start();
    imagepng($im);
    imagedestroy($im);
    return ob_get_clean();
}

$admin_id = (int) (get_user_by('login', getenv('WP_LOCAL_ADMIN_USER') ?: 'admin')->ID ?? 1);
wp_set_current_user($admin_id); // unfiltered_html: srcset, audio and video kept verbatim
$base = home_url('/');
$second_host = preg_replace('#^http://127\.0\.0\.1:#', 'http://localhost:', $base);

// --- The big photo: 3000x2000 -> -scaled (2560), original_image, every size, srcset in the content ---
$photo_post = media_post('A photo too big for the web', 'a-photo-too-big', '2019-03-10 10:00:00');
$photo = media_upload($photo_post, 'harbour-at-dusk.jpg', media_jpeg(media_picture(3000, 2000, 1, 'harbour')),
    'Harbour at dusk', 'A harbour at dusk, boats in silhouette');
$meta = wp_get_attachment_metadata($photo);
media_must(!empty($meta['original_image']) && !empty($meta['sizes']), 'the -scaled copy and sizes of the big photo');
set_post_thumbnail($photo_post, $photo);
$img = wp_get_attachment_image($photo, 'large', false, ['class' => "wp-image-$photo"]);
media_must(strpos($img, 'srcset=') !== false, 'srcset from wp_get_attachment_image');
media_set_content($photo_post, "<!-- wp:paragraph -->\n<p>The harbour, uploaded at 3000&#215;2000: WordPress keeps the original and serves a -scaled copy.</p>\n<!-- /wp:paragraph -->\n\n"
    . "<!-- wp:image {\"id\":$photo,\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\">$img<figcaption>Harbour at dusk</figcaption></figure>\n<!-- /wp:image -->");

// --- A portrait photo (also over 2560 px) and a PNG diagram in one post, with a link to the full size ---
$gallery_post = media_post('Two pictures and a diagram', 'two-pictures-and-a-diagram', '2019-04-12 12:00:00');
$tower = media_upload($gallery_post, 'tower.jpg', media_jpeg(media_picture(1800, 2700, 2, 'tower')), 'Tower', 'A tall tower');
$diagram = media_upload($gallery_post, 'diagram.png', media_png(media_picture(1200, 800, 3, 'diagram')), 'Diagram', 'A diagram of the harbour');
$tower_img = wp_get_attachment_image($tower, 'medium_large', false, ['class' => "wp-image-$tower"]);
$diagram_img = wp_get_attachment_image($diagram, 'medium', false, ['class' => "wp-image-$diagram"]);
media_set_content($gallery_post, "<p>A tower (portrait, scaled by WordPress):</p>\n"
    . '<p><a href="' . esc_url(wp_get_attachment_url($tower)) . "\">$tower_img</a></p>\n"
    . "<p>And a diagram:</p>\n<figure>$diagram_img</figure>");

// --- A PDF linked from a post; a WAV in an audio block; a video with a poster ------------------------
$files_post = media_post('The report, and a recording', 'the-report-and-a-recording', '2019-05-20 09:30:00');
$pdf = media_upload($files_post, 'annual-report.pdf', media_pdf('wp-local annual report'), 'Annual report');
$wav = media_upload($files_post, 'tone.wav', media_wav(), 'A tone');
$poster = wp_get_attachment_image_url($diagram, 'medium_large');
media_set_content($files_post, '<p>Read <a href="' . esc_url(wp_get_attachment_url($pdf)) . "\">the annual report (PDF)</a>.</p>\n\n"
    . "<!-- wp:audio {\"id\":$wav} -->\n<figure class=\"wp-block-audio\"><audio controls src=\"" . esc_url(wp_get_attachment_url($wav)) . "\"></audio></figure>\n<!-- /wp:audio -->\n\n"
    . '<video controls poster="' . esc_url($poster) . '"><source src="' . esc_url(wp_get_attachment_url($wav)) . "\" type=\"audio/wav\"></video>");

// --- Files that are gone: an image and a PDF under uploads that 404 ------------------------------
$uploads = wp_upload_dir('2019/06');
media_post('Links that rotted', 'links-that-rotted', '2019-06-01 08:00:00',
    '<p>This picture was deleted from the server: <img src="' . esc_url($uploads['url'] . '/deleted-picture.jpg')
    . "\" alt=\"A picture that is gone\" width=\"640\" height=\"480\"></p>\n"
    . '<p>So was <a href="' . esc_url($uploads['url'] . '/old-brochure.pdf') . '">the old brochure</a>.</p>');

// --- An image on a second host (same server, another name): fetched only when allowed ------------
$elsewhere = wp_upload_dir('2019/07');
media_must(wp_mkdir_p($elsewhere['path']), 'uploads dir ' . $elsewhere['path']);
file_put_contents($elsewhere['path'] . '/elsewhere.png', media_png(media_picture(400, 300, 4, 'elsewhere')));
media_post('A picture from another host', 'a-picture-from-another-host', '2019-07-04 16:00:00',
    '<p>Hot-linked from a second host: <img src="' . esc_url(str_replace($base, $second_host, $elsewhere['url'] . '/elsewhere.png'))
    . '" alt="A picture on another host" width="400" height="300"></p>');

update_option(WP_LOCAL_MEDIA_MARK, gmdate('c'));
$files = 0;
$bytes = 0;
foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator(wp_upload_dir()['basedir'], FilesystemIterator::SKIP_DOTS)) as $f) {
    $files++;
    $bytes += $f->getSize();
}
printf("media.php: done. %d attachments; uploads %s: %d files, %d bytes\n",
    (int) wp_count_posts('attachment')->inherit, wp_upload_dir()['basedir'], $files, $bytes);
