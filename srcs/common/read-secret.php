<?php
/**
 * The PHP side of srcs/common/read-secret: the PHP code of the images (wp-config.php, install.php,
 * phpMyAdmin's config.inc.php) reads every mounted Secret file through it.
 */
declare(strict_types=1);

/**
 * The content of the Secret file `$SECRETS_DIR/<name>/<key>` without its trailing newlines, as
 * `$(read-secret NAME/KEY)` gives it to the entrypoints; the file is read once. Throws, naming the
 * file, when it is missing or empty.
 */
function ft_read_secret(string $file): string
{
    $path = (getenv('SECRETS_DIR') ?: '/run/secrets') . '/' . $file;
    $content = @file_get_contents($path);
    $value = $content === false ? '' : rtrim($content, "\n");
    if ($value === '') {
        throw new RuntimeException("missing secret file $path");
    }
    return $value;
}
